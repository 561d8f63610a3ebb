#!/usr/bin/env bash
# Installs and starts what Kraut needs on a Debian 12 host, as root, without systemd.
# Idempotent: packages already present are skipped, daemons already running are left alone.
# Usage: scripts/setup-host.sh [--with-tests]
set -euo pipefail

with_tests=0
[ "${1:-}" = "--with-tests" ] && with_tests=1

log() { printf '[setup] %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "run as root (libvirt's system daemon and bridges need it)"; exit 1; }

lists=(build host portal guest-image)
[ "$with_tests" = 1 ] && lists+=(tests)
# curl: this script fetches the .NET installer with it where .NET is missing.
packages=(curl)
for list in "${lists[@]}"; do
  # One package a line, '#' comments: the same files the Dockerfile installs from (scripts/packages/README.md).
  read -r -a listed <<< "$(sed -e 's/#.*//' "$(dirname "$0")/packages/$list.txt" | xargs)"
  packages+=("${listed[@]}")
done

missing=()
for p in "${packages[@]}"; do
  # Another distribution's npm (nodesource's nodejs brings one) is left alone: Debian's npm conflicts with it.
  [ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No package may start its own daemon (nginx's would take port 80; the tests run private ones): Debian's
  # maintainer scripts ask invoke-rc.d, which asks policy-rc.d, and 101 means "not allowed". One already there stays.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=1
    trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
  fi
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; own_policy=0; fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  log "installing the .NET 10 SDK"
  curl -fsSL https://dot.net/v1/dotnet-install.sh -o /tmp/dotnet-install.sh
  bash /tmp/dotnet-install.sh --channel 10.0 --install-dir /usr/share/dotnet >/dev/null
  ln -sf /usr/share/dotnet/dotnet /usr/local/bin/dotnet
fi

# The host agent for networks that span hosts (README, "Networks that span hosts"): a remote host runs it from a forced
# SSH command to make the VXLAN links libvirt cannot make. A fixed copy, owned by root, so the key can run nothing else.
install -D -m 0755 -o root -g root "$(dirname "$0")/kraut-host-net" /usr/local/sbin/kraut-host-net

# The QEMU driver refuses to start without these accounts ("Failed to parse user 'libvirt-qemu'").
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt

# Without an LSM or cgroup delegation here, QEMU must run as root with no security driver.
conf=/etc/libvirt/qemu.conf
touch "$conf"
set_conf() {
  if grep -qE "^\s*$1\s*=" "$conf"; then sed -i -E "s|^\s*$1\s*=.*|$1 = $2|" "$conf"; else echo "$1 = $2" >> "$conf"; fi
}
set_conf user '"root"'
set_conf group '"root"'
set_conf security_driver '"none"'

pgrep -x virtlogd >/dev/null || { log "starting virtlogd"; virtlogd -d; }
if ! pgrep -x libvirtd >/dev/null; then
  log "starting libvirtd"
  libvirtd -d
fi
for _ in $(seq 1 50); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -c qemu:///system version >/dev/null 2>&1 || { log "libvirtd does not answer on qemu:///system"; exit 1; }
log "libvirtd answers on qemu:///system"
# Every guest NIC references Kraut's network filters; without the nwfilter driver no VM could start.
virsh -c qemu:///system nwfilter-list >/dev/null 2>&1 || { log "libvirtd has no nwfilter driver (libvirt_driver_nwfilter.so from libvirt-daemon)"; exit 1; }
