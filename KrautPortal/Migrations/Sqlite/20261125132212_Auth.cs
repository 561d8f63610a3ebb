using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KrautPortal.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Auth : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "auth_events",
                columns: table => new
                {
                    Seq = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Who = table.Column<string>(type: "TEXT", nullable: true),
                    Via = table.Column<string>(type: "TEXT", nullable: false),
                    Decision = table.Column<string>(type: "TEXT", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", nullable: true),
                    Method = table.Column<string>(type: "TEXT", nullable: false),
                    Path = table.Column<string>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", nullable: true),
                    ObjectId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Action = table.Column<string>(type: "TEXT", nullable: true),
                    RemoteAddress = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_auth_events", x => x.Seq);
                });

            migrationBuilder.CreateTable(
                name: "token_secrets",
                columns: table => new
                {
                    TokenId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    CreatorGroups = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_token_secrets", x => x.TokenId);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    OtpSecret = table.Column<string>(type: "TEXT", nullable: true),
                    OtpEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    OtpLastStep = table.Column<long>(type: "INTEGER", nullable: false),
                    RecoveryCodes = table.Column<string>(type: "TEXT", nullable: false),
                    SshKeys = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastLoginAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_users", x => x.Name);
                });

            migrationBuilder.CreateIndex(
                name: "IX_auth_events_At",
                table: "auth_events",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_auth_events_Who_At",
                table: "auth_events",
                columns: new[] { "Who", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "auth_events");

            migrationBuilder.DropTable(
                name: "token_secrets");

            migrationBuilder.DropTable(
                name: "users");
        }
    }
}
