#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian host and runs the whole suite.
# The last line is "N passed, N failed, N skipped", read from the TRX results; exit status 1 on any failure.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
results="$repo/TestResults"

"$repo/scripts/setup-host.sh" --with-tests

export KRAUT_TEST_GUEST_DIR=${KRAUT_TEST_GUEST_DIR:-/var/tmp/kraut-test-guest}
"$repo/scripts/build-guest-image.sh" "$KRAUT_TEST_GUEST_DIR" >/dev/null
"$repo/scripts/build-guest-image.sh" --router "$KRAUT_TEST_GUEST_DIR" >/dev/null
# The aarch64 test guest (Debian's arm64 packages), booted emulated by KrautPortal.Tests/Arm.
"$repo/scripts/build-guest-image.sh" --arch arm64 "$KRAUT_TEST_GUEST_DIR" >/dev/null

# The LDAP directory the auth tests bind against (slapd on 127.0.0.1:3890 and :6360).
"$repo/scripts/start-test-ldap.sh" >/dev/null
# The PostgreSQL the second pass runs the store/API/IPAM/auth tests against (private cluster on 127.0.0.1:5433).
"$repo/scripts/start-test-postgres.sh" >/dev/null

# Fail early, naming what is missing, rather than deep inside a test: every tool the suite drives, and the package
# scripts/packages/ lists it in. A newcomer's machine must get all of them from the set-up above.
missing=()
need() { [ -e "$1" ] || command -v "$1" >/dev/null 2>&1 || missing+=("$1 (package $2)"); }
need virsh libvirt-clients;              need qemu-img qemu-utils
need qemu-system-x86_64 qemu-system-x86; need dnsmasq dnsmasq-base
need xorriso xorriso;                    need ip iproute2
need nsenter util-linux;                 need unshare util-linux  # the simulated second host (SimulatedHost.cs)
need bridge iproute2;                    need chromium chromium
need htpasswd apache2-utils;             need oathtool oathtool
need slapd slapd;                        need ldapwhoami ldap-utils
need mcopy mtools;                       need /usr/lib/ISOLINUX/isolinux.bin isolinux
need /usr/lib/syslinux/modules/bios/ldlinux.c32 syslinux-common; need /usr/sbin/nginx nginx
need /usr/bin/prometheus prometheus;    need psql postgresql
need /usr/share/OVMF/OVMF_CODE.fd ovmf;  need /usr/share/qemu/firmware/60-edk2-x86_64.json ovmf
need "$KRAUT_TEST_GUEST_DIR/kraut-guest.qcow2" "none: scripts/build-guest-image.sh"
need "$KRAUT_TEST_GUEST_DIR/kraut-router.qcow2" "none: scripts/build-guest-image.sh --router"
need qemu-system-aarch64 qemu-system-arm; need /usr/share/AAVMF/AAVMF_CODE.fd qemu-efi-aarch64
need /usr/share/qemu/firmware/60-edk2-aarch64.json qemu-efi-aarch64
need tmux tmux;                          need zsh zsh  # the CLI's terminal tests (CliTmuxTests, zsh completion, kraut console)
need debugfs e2fsprogs  # reads a file out of a backup (DiskRealGuestTests' guest-agent step)
need "$KRAUT_TEST_GUEST_DIR/kraut-guest-arm64.qcow2" "none: scripts/build-guest-image.sh --arch arm64"
need curl curl  # HttpContinuity: the live migration tests ask the moving guest for pages
need /usr/sbin/sshd openssh-server; need ssh-keygen openssh-client  # HostSpanTests: the simulated host's agent over SSH
if [ "${#missing[@]}" -gt 0 ]; then
  printf '[test] missing before the suite can run: %s\n' "${missing[@]}" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

echo "[test] building" >&2
dotnet build "$repo/KrautCompute.sln" -c Release --nologo -v quiet

rm -rf "$results"
echo "[test] running the suite" >&2
set +e
dotnet test "$repo/KrautPortal.Tests/KrautPortal.Tests.csproj" -c Release --no-build --nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?
set -e

# The store, API, IPAM, quota and auth tests again on PostgreSQL (each test portal gets its own database there); none of
# them boots a guest. Tests of SQLite itself carry the trait Database=SqliteOnly. Pages on PostgreSQL: a circuit's
# components (and a page rendered for a plain HTTP request) load side by side, which there needs a database context per
# operation (Store/DbSession); CircuitContextTests, DetailPagesTests, the quota pages and the sign-in form prove it here,
# and ReplicaFeedTests (main pass, its own PostgreSQL) in a browser. The portal's other bUnit page tests are left out:
# on PostgreSQL a load completes a round trip after the render, and they find an element and click it while that load
# re-renders it (bUnit's UnknownEventHandlerIdException) or read before it lands; they pass on SQLite.
postgres_filter="(FullyQualifiedName~KrautPortal.Tests.Store.|FullyQualifiedName~KrautPortal.Tests.Api.|FullyQualifiedName~KrautPortal.Tests.Networks.IpamTests|FullyQualifiedName~KrautPortal.Tests.Quotas.|FullyQualifiedName~KrautPortal.Tests.Auth.|FullyQualifiedName~KrautPortal.Tests.Authorization.|FullyQualifiedName~KrautPortal.Tests.Postgres.|FullyQualifiedName~KrautPortal.Tests.Scheduling.|FullyQualifiedName~KrautPortal.Tests.Portal.DetailPagesTests|FullyQualifiedName~KrautPortal.Tests.Moves.MoveApiTests|FullyQualifiedName~KrautPortal.Tests.Moves.DrainApiTests)&Database!=SqliteOnly"
postgres_filter+="&FullyQualifiedName!~KrautPortal.Tests.Quotas.QuotaWizardTests"
echo "[test] running the store/API/IPAM/auth tests on PostgreSQL" >&2
set +e
KRAUT_TEST_DATABASE=postgres dotnet test "$repo/KrautPortal.Tests/KrautPortal.Tests.csproj" -c Release --no-build --nologo \
  --filter "$postgres_filter" \
  --logger "trx;LogFileName=results-postgres.trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
postgres_status=$?
set -e

trxs=("$results/results.trx" "$results/results-postgres.trx")
for trx in "${trxs[@]}"; do
  if [ ! -f "$trx" ]; then
    echo "[test] no TRX results were written to $trx (dotnet test exit $status, on PostgreSQL $postgres_status)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done
# The failed tests' names and first message lines again at the end: a CI log that keeps only its tail still names them.
for trx in "${trxs[@]}"; do
  pass=""; [ "$trx" = "$results/results-postgres.trx" ] && pass=" (PostgreSQL)"
  awk -v pass="$pass" '
    /<UnitTestResult / { failed = ($0 ~ /outcome="Failed"/); if (failed && match($0, /testName="[^"]*"/)) { name = substr($0, RSTART + 10, RLENGTH - 11); gsub(/&quot;/, "\"", name); print "[test] FAILED " name pass } }
    failed && /<Message>/ { inmessage = 1; lines = 0 }
    failed && inmessage && lines < 12 { line = $0; sub(/.*<Message>/, "", line); sub(/<\/Message>.*/, "", line)
      gsub(/&lt;/, "<", line); gsub(/&gt;/, ">", line); gsub(/&quot;/, "\"", line); gsub(/&apos;/, "\047", line); gsub(/&#xD;/, "", line); gsub(/&amp;/, "\\&", line)
      print "[test]   " line; lines++ }
    /<\/Message>/ { inmessage = 0 }
  ' "$trx" >&2
done
# Sums over both TRX files.
counter() { local sum=0 n; for trx in "${trxs[@]}"; do n=$(grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o "[0-9]*"); sum=$((sum + ${n:-0})); done; echo "$sum"; }
passed=$(counter passed)
failed=$(( $(counter failed) + $(counter error) + $(counter timeout) + $(counter aborted) ))
# A skipped test is counted in total but not in executed (notExecuted stays 0 in the TRX that dotnet test writes).
skipped=$(( $(counter total) - $(counter executed) ))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ] && [ "$postgres_status" -eq 0 ]
