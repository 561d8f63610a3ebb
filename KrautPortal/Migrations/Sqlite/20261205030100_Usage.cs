using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KrautPortal.Migrations.Sqlite
{
    /// <summary>usage_samples (a row per running VM per sample: counters, rates, what showback charges) and usage_hours (their hourly rollups).</summary>
    public partial class Usage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "usage_hours",
                columns: table => new
                {
                    VmId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Hour = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Owner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Samples = table.Column<int>(type: "INTEGER", nullable: false),
                    RunningSeconds = table.Column<double>(type: "REAL", nullable: false),
                    VcpuSeconds = table.Column<double>(type: "REAL", nullable: false),
                    MemoryMiBSeconds = table.Column<double>(type: "REAL", nullable: false),
                    DiskGiBSeconds = table.Column<double>(type: "REAL", nullable: false),
                    CpuPercent = table.Column<double>(type: "REAL", nullable: true),
                    MemoryUsedBytes = table.Column<double>(type: "REAL", nullable: true),
                    DiskReadBytesPerSecond = table.Column<double>(type: "REAL", nullable: true),
                    DiskWriteBytesPerSecond = table.Column<double>(type: "REAL", nullable: true),
                    NetRxBytesPerSecond = table.Column<double>(type: "REAL", nullable: true),
                    NetTxBytesPerSecond = table.Column<double>(type: "REAL", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_hours", x => new { x.VmId, x.Hour });
                });

            migrationBuilder.CreateTable(
                name: "usage_samples",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    VmId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Owner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    HostUri = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    Seconds = table.Column<double>(type: "REAL", nullable: false),
                    Vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    MemoryMiB = table.Column<int>(type: "INTEGER", nullable: false),
                    DiskCapacityBytes = table.Column<long>(type: "INTEGER", nullable: true),
                    CpuTimeNs = table.Column<long>(type: "INTEGER", nullable: true),
                    MemoryCurrentKiB = table.Column<long>(type: "INTEGER", nullable: true),
                    MemoryRssKiB = table.Column<long>(type: "INTEGER", nullable: true),
                    MemoryUsableKiB = table.Column<long>(type: "INTEGER", nullable: true),
                    MemoryAvailableKiB = table.Column<long>(type: "INTEGER", nullable: true),
                    MemoryUnusedKiB = table.Column<long>(type: "INTEGER", nullable: true),
                    DiskReadBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    DiskWriteBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    DiskReadRequests = table.Column<long>(type: "INTEGER", nullable: false),
                    DiskWriteRequests = table.Column<long>(type: "INTEGER", nullable: false),
                    NetRxBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    NetTxBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    NetRxPackets = table.Column<long>(type: "INTEGER", nullable: false),
                    NetTxPackets = table.Column<long>(type: "INTEGER", nullable: false),
                    CpuPercent = table.Column<double>(type: "REAL", nullable: true),
                    MemoryUsedBytes = table.Column<long>(type: "INTEGER", nullable: true),
                    DiskReadBytesPerSecond = table.Column<double>(type: "REAL", nullable: true),
                    DiskWriteBytesPerSecond = table.Column<double>(type: "REAL", nullable: true),
                    NetRxBytesPerSecond = table.Column<double>(type: "REAL", nullable: true),
                    NetTxBytesPerSecond = table.Column<double>(type: "REAL", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_samples", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_usage_hours_Hour",
                table: "usage_hours",
                column: "Hour");

            migrationBuilder.CreateIndex(
                name: "IX_usage_hours_Owner_Hour",
                table: "usage_hours",
                columns: new[] { "Owner", "Hour" });

            migrationBuilder.CreateIndex(
                name: "IX_usage_samples_At",
                table: "usage_samples",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_usage_samples_VmId_At",
                table: "usage_samples",
                columns: new[] { "VmId", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "usage_hours");

            migrationBuilder.DropTable(
                name: "usage_samples");
        }
    }
}
