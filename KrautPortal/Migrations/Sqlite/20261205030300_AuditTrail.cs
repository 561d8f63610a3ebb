using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KrautPortal.Migrations.Sqlite
{
    /// <summary>audit_entries: every API call meant to change something, its masked parameters and outcome, hash-chained; history by time, for the audit search.</summary>
    public partial class AuditTrail : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_entries",
                columns: table => new
                {
                    Seq = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    User = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Who = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    Via = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    TokenId = table.Column<Guid>(type: "TEXT", nullable: true),
                    RemoteAddress = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Method = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Route = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    Path = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    ObjectId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Action = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    DurationMs = table.Column<double>(type: "REAL", nullable: false),
                    Parameters = table.Column<string>(type: "TEXT", nullable: true),
                    Hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_entries", x => x.Seq);
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
                name: "IX_history_ChangedAt_Seq",
                table: "history",
                columns: new[] { "ChangedAt", "Seq" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_history_ChangedAt_Seq",
                table: "history");

            migrationBuilder.DropTable(
                name: "audit_entries");
        }
    }
}
