#!/usr/bin/env bash
# Copies an SQLite installation into an empty PostgreSQL database, for running several portal replicas on it.
# Stop the portal first. Usage: scripts/db-copy.sh --to postgres://kraut:secret@db.example:5432/kraut [--data /var/lib/kraut]
# Prints each table's row count. Exit code 0: copied; 1: refused (target not empty) or failed, nothing written; 2: usage.
set -euo pipefail

data=/var/lib/kraut
to=
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --to) to="$2"; shift 2 ;;
    *) echo "unknown option $1 (use --to and --data)" >&2; exit 2 ;;
  esac
done
[ -n "$to" ] || { echo "--to postgres://… is required" >&2; exit 2; }

# The build run-portal.sh made for this data directory; without one, a build of this checkout.
app="$data/app/KrautPortal.dll"
if [ ! -f "$app" ]; then
  repo=$(cd "$(dirname "$0")/.." && pwd)
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  dotnet publish "$repo/KrautPortal/KrautPortal.csproj" -c Release -o "$out" --nologo -v quiet >&2
  app="$out/KrautPortal.dll"
fi
dotnet "$app" db copy --to "$to" --data "$data"
