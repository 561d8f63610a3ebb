using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KrautPortal.Migrations.Postgres
{
    /// <summary>
    /// What the model cannot describe, so the snapshot is unchanged: the trigger that keeps resource_labels in step with
    /// each object's metadata (the SQLite ResourceLabels migration's triggers, computing the same rows), and the index on
    /// each object's phase by kind that the dashboards' counts use (the same expression StoreSql writes).
    /// </summary>
    /// <remarks>
    /// Labels, as on SQLite: a key is the dotted path of object members named with [A-Za-z0-9_/-] (at most 253 characters
    /// in all; a member named "a.b" and everything under it is left out), nothing inside arrays, at most 16 levels; a string
    /// is stored as it reads (NULL when longer than 253), a number, boolean or null as its JSON text, an object or array as
    /// NULL. PostgreSQL triggers may use WITH RECURSIVE, so one recursive walk replaces SQLite's 16 spelled-out levels.
    /// One difference: jsonb keeps a number's digits but not its spelling of exponents (1e3 reads 1000; "1.50" stays).
    /// </remarks>
    [DbContext(typeof(PostgresKrautDbContext))]
    [Migration("20261205053100_LabelsAndIndexes")]
    public partial class LabelsAndIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION kraut_metadata_labels(metadata text) RETURNS TABLE ("Key" text, "Value" text)
                LANGUAGE sql IMMUTABLE AS $fn$
                  WITH RECURSIVE walk (key, value, depth) AS (
                    SELECT e.key, e.value, 1
                      FROM jsonb_each(CASE WHEN jsonb_typeof(metadata::jsonb) = 'object' THEN metadata::jsonb ELSE '{}'::jsonb END) AS e
                     WHERE e.key ~ '^[A-Za-z0-9_/-]+$'
                    UNION ALL
                    SELECT w.key || '.' || e.key, e.value, w.depth + 1
                      FROM walk AS w,
                           jsonb_each(CASE WHEN jsonb_typeof(w.value) = 'object' THEN w.value ELSE '{}'::jsonb END) AS e
                     WHERE w.depth < 16 AND e.key ~ '^[A-Za-z0-9_/-]+$'
                  )
                  SELECT key,
                         CASE jsonb_typeof(value)
                           WHEN 'string' THEN CASE WHEN length(value #>> '{}') <= 253 THEN value #>> '{}' END
                           WHEN 'object' THEN NULL
                           WHEN 'array' THEN NULL
                           ELSE value::text
                         END
                    FROM walk
                   WHERE length(key) <= 253
                $fn$;
                """);
            // Deletes need nothing: the foreign key cascades.
            migrationBuilder.Sql("""
                CREATE FUNCTION kraut_resource_labels_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
                BEGIN
                  IF TG_OP = 'UPDATE' THEN
                    IF NEW."Metadata" IS NOT DISTINCT FROM OLD."Metadata" THEN RETURN NULL; END IF;
                    DELETE FROM resource_labels WHERE "ResourceSeq" = OLD."Seq";
                  END IF;
                  INSERT INTO resource_labels ("ResourceSeq", "Kind", "Key", "Value")
                  SELECT NEW."Seq", NEW."Kind", l."Key", l."Value" FROM kraut_metadata_labels(NEW."Metadata") AS l
                  ON CONFLICT DO NOTHING;
                  RETURN NULL;
                END
                $fn$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER resource_labels_write AFTER INSERT OR UPDATE OF "Metadata" ON resources
                FOR EACH ROW EXECUTE FUNCTION kraut_resource_labels_sync();
                """);
            migrationBuilder.Sql("""CREATE INDEX "IX_resources_Kind_phase" ON resources ("Kind", ("Status"::jsonb ->> 'phase'));""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_resources_Kind_phase";""");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS resource_labels_write ON resources;");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS kraut_resource_labels_sync();");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS kraut_metadata_labels(text);");
        }
    }
}
