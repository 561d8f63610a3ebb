using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KrautPortal.Migrations.Sqlite
{
    /// <summary>console_sessions: the audit record of every console session (who, how, which VM, from where, when, why it closed, bytes).</summary>
    public partial class ConsoleSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "console_sessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    VmId = table.Column<Guid>(type: "TEXT", nullable: false),
                    VmName = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Who = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Via = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    TokenId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Origin = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    RemoteAddress = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    OpenedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ClosedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    BytesIn = table.Column<long>(type: "INTEGER", nullable: false),
                    BytesOut = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_console_sessions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_console_sessions_ClosedAt",
                table: "console_sessions",
                column: "ClosedAt");

            migrationBuilder.CreateIndex(
                name: "IX_console_sessions_OpenedAt",
                table: "console_sessions",
                column: "OpenedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "console_sessions");
        }
    }
}
