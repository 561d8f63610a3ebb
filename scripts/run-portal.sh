#!/usr/bin/env bash
# Sets up this Debian host (packages, libvirtd, virtlogd), builds Kraut and serves the portal.
# Usage: scripts/run-portal.sh [--port 5080] [--data /var/lib/kraut] [--listen 127.0.0.1]
# Two instances side by side: give each its own --port and --data.
set -euo pipefail

port=5080
data=/var/lib/kraut
listen=127.0.0.1
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --listen) listen="$2"; shift 2 ;;
    *) echo "unknown option $1 (use --port, --data, --listen)" >&2; exit 2 ;;
  esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup-host.sh"

mkdir -p "$data"
data=$(cd "$data" && pwd)
# The small test guest, registered as an image on first run so a VM can be created at once, and the
# router appliance that networks' routers run (a system image).
"$repo/scripts/build-guest-image.sh" "$data/seed" >/dev/null
"$repo/scripts/build-guest-image.sh" --router "$data/seed" >/dev/null
# The aarch64 test guest too (Debian's arm64 packages): it runs emulated on x86_64 where Kraut:AllowEmulation is true.
"$repo/scripts/build-guest-image.sh" --arch arm64 "$data/seed" >/dev/null

# Each data directory gets its own build output, so two instances never overwrite each other's files.
out="$data/app"
echo "[run] building into $out" >&2
dotnet publish "$repo/KrautPortal/KrautPortal.csproj" -c Release -o "$out" --nologo -v quiet

echo "[run] Kraut on http://$listen:$port (data: $data)" >&2
[ -f "$data/initial-admin-password" ] && echo "[run] sign in as admin with the password in $data/initial-admin-password" >&2
cd "$out"
exec dotnet KrautPortal.dll --urls "http://$listen:$port" --Kraut:DataDirectory="$data"
