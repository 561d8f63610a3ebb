#!/usr/bin/env bash
# Checks the audit trail's hash chain in a data directory's database, with or without the portal running.
# Usage: scripts/audit-verify.sh [--data /var/lib/kraut]
# Exit code 0: intact (prints the entry count and the head hash to note); 1: broken (names the first bad entry); 2: cannot check.
set -euo pipefail

data=/var/lib/kraut
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    *) echo "unknown option $1 (use --data)" >&2; exit 2 ;;
  esac
done

# The build run-portal.sh made for this data directory; without one, a build of this checkout.
app="$data/app/KrautPortal.dll"
if [ ! -f "$app" ]; then
  repo=$(cd "$(dirname "$0")/.." && pwd)
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  dotnet publish "$repo/KrautPortal/KrautPortal.csproj" -c Release -o "$out" --nologo -v quiet >&2
  app="$out/KrautPortal.dll"
fi
dotnet "$app" audit verify --data "$data"
