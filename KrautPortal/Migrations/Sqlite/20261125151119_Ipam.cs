using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KrautPortal.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Ipam : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ip_allocations",
                columns: table => new
                {
                    network_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    address = table.Column<string>(type: "TEXT", maxLength: 45, nullable: false),
                    family = table.Column<int>(type: "INTEGER", nullable: false),
                    nic_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    vm_id = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ip_allocations", x => new { x.network_id, x.address });
                });

            migrationBuilder.CreateTable(
                name: "mac_allocations",
                columns: table => new
                {
                    mac = table.Column<string>(type: "TEXT", maxLength: 17, nullable: false),
                    nic_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    vm_id = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mac_allocations", x => x.mac);
                });

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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ip_allocations");

            migrationBuilder.DropTable(
                name: "mac_allocations");
        }
    }
}
