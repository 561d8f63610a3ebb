using System.Text;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KrautPortal.Migrations.Sqlite
{
    /// <summary>
    /// resource_labels: one row per metadata value a selector can name, so a selector seeks an index instead of reading
    /// every object's JSON. Filled from the existing rows, then kept in step by triggers on resources, in the transaction
    /// of each write: every path that writes "Metadata" (the store's create, update, patch, revert, delete, bulk actions,
    /// and anything writing SQL directly) keeps its labels without having to remember to.
    /// </summary>
    /// <remarks>
    /// Which values become labels, and how, is exactly what the selector SQL before this migration compared:
    /// a key is the dotted path of object members whose names a selector can write ([A-Za-z0-9_/-], at most 253
    /// characters in all; a member named "a.b" is not "a" → "b", so it and everything under it is left out); nothing
    /// inside arrays; a string is stored as it reads (at most 253 characters, the longest selector value; longer is
    /// stored as NULL: present, never equal); a number, boolean or null as its JSON text (<c>-&gt;</c>, which keeps
    /// "1.50" as written); an object or array as NULL. Metadata is at most 16 levels deep (ResourceService), and SQLite
    /// allows no WITH RECURSIVE in a trigger, so the levels are spelled out, one SELECT per depth.
    /// </remarks>
    public partial class ResourceLabels : Migration
    {
        private const int Depth = 16;
        private const int MaxLength = 253;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "resource_labels",
                columns: table => new
                {
                    ResourceSeq = table.Column<long>(type: "INTEGER", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 253, nullable: true)
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
                name: "IX_resource_labels_Kind_Key_Value_ResourceSeq",
                table: "resource_labels",
                columns: new[] { "Kind", "Key", "Value", "ResourceSeq" });

            migrationBuilder.Sql("INSERT OR IGNORE INTO resource_labels (ResourceSeq, Kind, Key, Value)\n"
                + Labels("r.Metadata", "r.Seq", "r.Kind", "resources AS r") + ";");
            migrationBuilder.Sql($"""
                CREATE TRIGGER resource_labels_insert AFTER INSERT ON resources
                BEGIN
                  INSERT OR IGNORE INTO resource_labels (ResourceSeq, Kind, Key, Value)
                  {Labels("NEW.Metadata", "NEW.Seq", "NEW.Kind", null)};
                END;
                """);
            migrationBuilder.Sql($"""
                CREATE TRIGGER resource_labels_update AFTER UPDATE OF Metadata ON resources
                WHEN NEW.Metadata IS NOT OLD.Metadata
                BEGIN
                  DELETE FROM resource_labels WHERE ResourceSeq = OLD.Seq;
                  INSERT OR IGNORE INTO resource_labels (ResourceSeq, Kind, Key, Value)
                  {Labels("NEW.Metadata", "NEW.Seq", "NEW.Kind", null)};
                END;
                """);
            // The foreign key cascades where foreign keys are enforced; this holds where they are not.
            migrationBuilder.Sql("""
                CREATE TRIGGER resource_labels_delete AFTER DELETE ON resources
                BEGIN
                  DELETE FROM resource_labels WHERE ResourceSeq = OLD.Seq;
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS resource_labels_insert;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS resource_labels_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS resource_labels_delete;");
            migrationBuilder.DropTable(name: "resource_labels");
        }

        /// <summary>The SELECT of every label of <paramref name="metadata"/>: one branch per depth, UNION ALL.</summary>
        private static string Labels(string metadata, string seq, string kind, string from)
        {
            var branches = new List<string>();
            for (var depth = 1; depth <= Depth; depth++)
            {
                var sources = new List<string>();
                var where = new List<string>();
                if (from is not null) sources.Add(from);
                for (var level = 1; level <= depth; level++)
                {
                    var parent = level == 1 ? metadata : $"iif(j{level - 1}.type = 'object', j{level - 1}.value, '{{}}')";
                    sources.Add($"json_each({parent}) AS j{level}");
                    where.Add($"j{level}.key NOT GLOB '*[^A-Za-z0-9_/-]*' AND j{level}.key <> ''");
                    if (level < depth) where.Add($"j{level}.type = 'object'");
                }
                var key = string.Join(" || '.' || ", Enumerable.Range(1, depth).Select(l => $"j{l}.key"));
                where.Add($"length({key}) <= {MaxLength}");
                var container = depth == 1 ? metadata : $"j{depth - 1}.value";
                var value = $"CASE j{depth}.type WHEN 'text' THEN iif(length(j{depth}.atom) <= {MaxLength}, j{depth}.atom, NULL) "
                    + $"WHEN 'object' THEN NULL WHEN 'array' THEN NULL ELSE {container} -> ('$.\"' || j{depth}.key || '\"') END";
                var branch = new StringBuilder();
                branch.Append($"SELECT {seq}, {kind}, {key}, {value}\n  FROM {string.Join(", ", sources)}\n  WHERE {string.Join(" AND ", where)}");
                branches.Add(branch.ToString());
            }
            return string.Join("\n  UNION ALL\n  ", branches);
        }
    }
}
