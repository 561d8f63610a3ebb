using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace KrautPortal.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_entries",
                columns: table => new
                {
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    User = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true, collation: "C"),
                    Who = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true, collation: "C"),
                    Via = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true, collation: "C"),
                    TokenId = table.Column<Guid>(type: "uuid", nullable: true),
                    RemoteAddress = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true, collation: "C"),
                    Method = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false, collation: "C"),
                    Route = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true, collation: "C"),
                    Path = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false, collation: "C"),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true, collation: "C"),
                    ObjectId = table.Column<Guid>(type: "uuid", nullable: true),
                    Action = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true, collation: "C"),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false, collation: "C"),
                    DurationMs = table.Column<double>(type: "double precision", nullable: false),
                    Parameters = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_entries", x => x.Seq);
                });

            migrationBuilder.CreateTable(
                name: "auth_events",
                columns: table => new
                {
                    Seq = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Who = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Via = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Decision = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Reason = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Method = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Path = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Kind = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ObjectId = table.Column<Guid>(type: "uuid", nullable: true),
                    Action = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    RemoteAddress = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Status = table.Column<int>(type: "integer", nullable: true),
                    Count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_auth_events", x => x.Seq);
                });

            migrationBuilder.CreateTable(
                name: "console_sessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    VmId = table.Column<Guid>(type: "uuid", nullable: false),
                    VmName = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false, collation: "C"),
                    Type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false, collation: "C"),
                    Who = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    Via = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false, collation: "C"),
                    TokenId = table.Column<Guid>(type: "uuid", nullable: true),
                    Origin = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true, collation: "C"),
                    RemoteAddress = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true, collation: "C"),
                    OpenedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ClosedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true, collation: "C"),
                    BytesIn = table.Column<long>(type: "bigint", nullable: false),
                    BytesOut = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_console_sessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "history",
                columns: table => new
                {
                    Seq = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ResourceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false, collation: "C"),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    Snapshot = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ChangedBy = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ChangedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Change = table.Column<string>(type: "text", nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_history", x => x.Seq);
                });

            migrationBuilder.CreateTable(
                name: "ip_allocations",
                columns: table => new
                {
                    network_id = table.Column<Guid>(type: "uuid", nullable: false),
                    address = table.Column<string>(type: "character varying(45)", maxLength: 45, nullable: false, collation: "C"),
                    family = table.Column<int>(type: "integer", nullable: false),
                    nic_id = table.Column<Guid>(type: "uuid", nullable: false),
                    vm_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ip_allocations", x => new { x.network_id, x.address });
                });

            migrationBuilder.CreateTable(
                name: "mac_allocations",
                columns: table => new
                {
                    mac = table.Column<string>(type: "character varying(17)", maxLength: 17, nullable: false, collation: "C"),
                    nic_id = table.Column<Guid>(type: "uuid", nullable: false),
                    vm_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mac_allocations", x => x.mac);
                });

            migrationBuilder.CreateTable(
                name: "resources",
                columns: table => new
                {
                    Seq = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false, collation: "C"),
                    Name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false, collation: "C"),
                    Owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    Metadata = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Spec = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Status = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DeletionRequestedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    IsSystem = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resources", x => x.Seq);
                });

            migrationBuilder.CreateTable(
                name: "sessions",
                columns: table => new
                {
                    KeyHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    User = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    Ticket = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sessions", x => x.KeyHash);
                });

            migrationBuilder.CreateTable(
                name: "settings",
                columns: table => new
                {
                    Key = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Value = table.Column<string>(type: "text", nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_settings", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "token_secrets",
                columns: table => new
                {
                    TokenId = table.Column<Guid>(type: "uuid", nullable: false),
                    Sha256 = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    CreatorGroups = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Creator = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_token_secrets", x => x.TokenId);
                });

            migrationBuilder.CreateTable(
                name: "usage_hours",
                columns: table => new
                {
                    VmId = table.Column<Guid>(type: "uuid", nullable: false),
                    Hour = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    Samples = table.Column<int>(type: "integer", nullable: false),
                    RunningSeconds = table.Column<double>(type: "double precision", nullable: false),
                    VcpuSeconds = table.Column<double>(type: "double precision", nullable: false),
                    MemoryMiBSeconds = table.Column<double>(type: "double precision", nullable: false),
                    DiskGiBSeconds = table.Column<double>(type: "double precision", nullable: false),
                    CpuPercent = table.Column<double>(type: "double precision", nullable: true),
                    MemoryUsedBytes = table.Column<double>(type: "double precision", nullable: true),
                    DiskReadBytesPerSecond = table.Column<double>(type: "double precision", nullable: true),
                    DiskWriteBytesPerSecond = table.Column<double>(type: "double precision", nullable: true),
                    NetRxBytesPerSecond = table.Column<double>(type: "double precision", nullable: true),
                    NetTxBytesPerSecond = table.Column<double>(type: "double precision", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_hours", x => new { x.VmId, x.Hour });
                });

            migrationBuilder.CreateTable(
                name: "usage_samples",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    VmId = table.Column<Guid>(type: "uuid", nullable: false),
                    Owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    HostUri = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false, collation: "C"),
                    Seconds = table.Column<double>(type: "double precision", nullable: false),
                    Vcpus = table.Column<int>(type: "integer", nullable: false),
                    MemoryMiB = table.Column<int>(type: "integer", nullable: false),
                    DiskCapacityBytes = table.Column<long>(type: "bigint", nullable: true),
                    CpuTimeNs = table.Column<long>(type: "bigint", nullable: true),
                    MemoryCurrentKiB = table.Column<long>(type: "bigint", nullable: true),
                    MemoryRssKiB = table.Column<long>(type: "bigint", nullable: true),
                    MemoryUsableKiB = table.Column<long>(type: "bigint", nullable: true),
                    MemoryAvailableKiB = table.Column<long>(type: "bigint", nullable: true),
                    MemoryUnusedKiB = table.Column<long>(type: "bigint", nullable: true),
                    DiskReadBytes = table.Column<long>(type: "bigint", nullable: false),
                    DiskWriteBytes = table.Column<long>(type: "bigint", nullable: false),
                    DiskReadRequests = table.Column<long>(type: "bigint", nullable: false),
                    DiskWriteRequests = table.Column<long>(type: "bigint", nullable: false),
                    NetRxBytes = table.Column<long>(type: "bigint", nullable: false),
                    NetTxBytes = table.Column<long>(type: "bigint", nullable: false),
                    NetRxPackets = table.Column<long>(type: "bigint", nullable: false),
                    NetTxPackets = table.Column<long>(type: "bigint", nullable: false),
                    CpuPercent = table.Column<double>(type: "double precision", nullable: true),
                    MemoryUsedBytes = table.Column<long>(type: "bigint", nullable: true),
                    DiskReadBytesPerSecond = table.Column<double>(type: "double precision", nullable: true),
                    DiskWriteBytesPerSecond = table.Column<double>(type: "double precision", nullable: true),
                    NetRxBytesPerSecond = table.Column<double>(type: "double precision", nullable: true),
                    NetTxBytesPerSecond = table.Column<double>(type: "double precision", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_samples", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    OtpSecret = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    OtpEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    OtpLastStep = table.Column<long>(type: "bigint", nullable: false),
                    RecoveryCodes = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    SshKeys = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastLoginAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_users", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "resource_labels",
                columns: table => new
                {
                    ResourceSeq = table.Column<long>(type: "bigint", nullable: false),
                    Key = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false, collation: "C"),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false, collation: "C"),
                    Value = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resource_labels", x => new { x.ResourceSeq, x.Key });
                    table.ForeignKey(
                        name: "FK_resource_labels_resources_ResourceSeq",
                        column: x => x.ResourceSeq,
                        principalTable: "resources",
                        principalColumn: "Seq",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_At",
                table: "audit_entries",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_ObjectId_At",
                table: "audit_entries",
                columns: new[] { "ObjectId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_User_At",
                table: "audit_entries",
                columns: new[] { "User", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_auth_events_At",
                table: "auth_events",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_auth_events_Who_At",
                table: "auth_events",
                columns: new[] { "Who", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_console_sessions_ClosedAt",
                table: "console_sessions",
                column: "ClosedAt");

            migrationBuilder.CreateIndex(
                name: "IX_console_sessions_OpenedAt",
                table: "console_sessions",
                column: "OpenedAt");

            migrationBuilder.CreateIndex(
                name: "IX_history_ChangedAt_Seq",
                table: "history",
                columns: new[] { "ChangedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_history_ResourceId_Version",
                table: "history",
                columns: new[] { "ResourceId", "Version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ip_allocations_nic_id_family",
                table: "ip_allocations",
                columns: new[] { "nic_id", "family" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ip_allocations_vm_id",
                table: "ip_allocations",
                column: "vm_id");

            migrationBuilder.CreateIndex(
                name: "IX_mac_allocations_nic_id",
                table: "mac_allocations",
                column: "nic_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_mac_allocations_vm_id",
                table: "mac_allocations",
                column: "vm_id");

            migrationBuilder.CreateIndex(
                name: "IX_resource_labels_Kind_Key_Value_ResourceSeq",
                table: "resource_labels",
                columns: new[] { "Kind", "Key", "Value", "ResourceSeq" });

            migrationBuilder.CreateIndex(
                name: "IX_resources_Id",
                table: "resources",
                column: "Id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_resources_Kind_CreatedAt_Seq",
                table: "resources",
                columns: new[] { "Kind", "CreatedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_resources_Kind_Name_Seq",
                table: "resources",
                columns: new[] { "Kind", "Name", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_resources_Kind_Owner_Name",
                table: "resources",
                columns: new[] { "Kind", "Owner", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_resources_Kind_UpdatedAt_Seq",
                table: "resources",
                columns: new[] { "Kind", "UpdatedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_sessions_ExpiresAt",
                table: "sessions",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_sessions_User",
                table: "sessions",
                column: "User");

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
                name: "audit_entries");

            migrationBuilder.DropTable(
                name: "auth_events");

            migrationBuilder.DropTable(
                name: "console_sessions");

            migrationBuilder.DropTable(
                name: "history");

            migrationBuilder.DropTable(
                name: "ip_allocations");

            migrationBuilder.DropTable(
                name: "mac_allocations");

            migrationBuilder.DropTable(
                name: "resource_labels");

            migrationBuilder.DropTable(
                name: "sessions");

            migrationBuilder.DropTable(
                name: "settings");

            migrationBuilder.DropTable(
                name: "token_secrets");

            migrationBuilder.DropTable(
                name: "usage_hours");

            migrationBuilder.DropTable(
                name: "usage_samples");

            migrationBuilder.DropTable(
                name: "users");

            migrationBuilder.DropTable(
                name: "resources");
        }
    }
}
