using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KrautPortal.Migrations.Sqlite
{
    /// <summary>
    /// An index on each object's phase (<c>json_extract(Status, '$.phase')</c>) by kind: the dashboards count VMs by state,
    /// which without it reads every VM's status JSON (KindReader.GroupAsync writes the same expression). The model does not
    /// describe expression indexes, so the snapshot is unchanged.
    /// </summary>
    [DbContext(typeof(SqliteKrautDbContext))]
    [Migration("20261205030400_DashboardIndexes")]
    public partial class DashboardIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("CREATE INDEX IX_resources_Kind_phase ON resources (Kind, json_extract(Status, '$.phase'));");

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("DROP INDEX IX_resources_Kind_phase;");
    }
}
