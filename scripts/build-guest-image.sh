#!/usr/bin/env bash
# Builds the Kraut test guest: a small BIOS-bootable disk (MBR + one FAT16 partition + syslinux)
# whose root is a busybox initramfs. The guest reads a cloud-init NoCloud seed (a CD labelled
# cidata: hostname, SSH keys, static addresses from network-config v2, a user-data script), else
# uses DHCP on every NIC; it does IPv6 (router advertisements/SLAAC in the kernel, stateful DHCPv6
# with dhcpcd), serves HTTP on :80 and powers off on the ACPI power button. It prints what it did
# as KRAUT-GUEST-* lines on the serial console: scripts/guest-image/README.md lists them.
# The guest's own files (/init, DHCP hooks, seed parser) are in scripts/guest-image/.
#
# With --router it builds the router appliance instead, from the same kernel, busybox and /init:
# plus nftables, dropbear (geek-mode SSH) and the agent that loads rulesets it gets over the
# virtio-serial channel org.kraut.agent (scripts/guest-image/router-agent.sh). /etc/kraut/router
# tells /init to forward IPv4/IPv6 and start the agent.
#
# With --arch arm64 it builds the same test guest for aarch64 from Debian's arm64 packages
# (linux-image-cloud-arm64, busybox-static, dhcpcd-base, libc6), fetched with apt-get download
# through a private apt state (OUTDIR/.apt-arm64: its own package lists with arm64 added), so the
# host's dpkg architectures stay as they are. aarch64 has no BIOS: the disk is GPT with an EFI
# system partition holding systemd-boot (systemd-boot-efi:arm64) as EFI/BOOT/BOOTAA64.EFI, which
# the AAVMF firmware (qemu-efi-aarch64) starts like any arm64 cloud image's loader. The serial
# console is the virt machine's PL011, ttyAMA0.
#
# Usage: scripts/build-guest-image.sh [--router] [--arch amd64|arm64] OUTDIR
# Writes OUTDIR/NAME.qcow2, OUTDIR/NAME.vmlinuz, OUTDIR/NAME.sha256 and OUTDIR/NAME.inputs
# (NAME: kraut-guest, kraut-router with --router, kraut-guest-arm64 with --arch arm64), then prints
# the qcow2 path. Re-running with the same inputs (this script's content, the guest files, package
# versions) does nothing.
# Needs no root and no mount: the filesystem is written with mkfs.vfat --offset and mtools.
set -euo pipefail
# apt-cache's labels ("Candidate:", "Depends:") are translated in other locales.
export LC_ALL=C

variant=guest
arch=amd64
while [ $# -gt 1 ]; do
  case "$1" in
  --router) variant=router; shift ;;
  --arch) arch=$2; shift 2 ;;
  *) break ;;
  esac
done
name=kraut-$variant
disk_mib=64          # virtual size; the qcow2 only stores the ~16 MiB actually used
part_start=2048      # 1 MiB-aligned first partition, in 512-byte sectors
mbr_bin=/usr/lib/syslinux/mbr/mbr.bin
# What differs per architecture: the kernel flavour, libc's directory and loader, the serial port
# the console shell runs on, and the bootloader (syslinux for BIOS, systemd-boot for UEFI).
case "$arch" in
amd64)
  pkg_arch="" multiarch=x86_64-linux-gnu loader=ld-linux-x86-64.so.2 loader_dir=lib64 serial=ttyS0 boot=syslinux ;;
arm64)
  [ "$variant" = guest ] || { echo "$0: --arch arm64 builds the test guest only, not the router" >&2; exit 2; }
  name=kraut-guest-arm64
  # The arm64 kernel is an uncompressed Image (~27 MiB) on the FAT partition.
  disk_mib=96
  pkg_arch=:arm64 multiarch=aarch64-linux-gnu loader=ld-linux-aarch64.so.1 loader_dir=lib serial=ttyAMA0 boot=systemd-boot ;;
*) echo "$0: unknown --arch $arch (amd64 or arm64)" >&2; exit 2 ;;
esac
kernel_meta=linux-image-cloud-$arch
# Modules the guest loads (dependencies are added from modules.dep). The cloud-init seed CD sits on
# virtio-scsi: the cloud kernel has no AHCI, so a SATA CD would be invisible to it (and to Debian's
# genericcloud images). virtio_scsi + sr_mod (+cdrom, scsi_mod) + isofs read it. button+evdev give
# acpid the power button. IPv6 is built into this kernel.
required_modules=(virtio_pci virtio_net virtio_blk virtio_scsi sr_mod isofs button evdev)
optional_modules=()
# Debian packages whose binaries and libraries go into the image besides busybox, dhcpcd and libc.
extra_pkgs=()
extra_bins=()
if [ "$variant" = guest ] && [ "$arch" = amd64 ]; then
  # The QEMU guest agent (qemu-ga) on the virtio-serial port org.qemu.guest_agent.0: libvirt asks it to freeze the
  # guest's filesystems around the start of a backup. Its freeze hook prints what it was asked (fsfreeze-hook.sh).
  # The arm64 guest has no agent: its libraries would come unchecked (the foreign loader cannot list them here).
  required_modules+=(virtio_console)
  extra_pkgs=(qemu-guest-agent libglib2.0-0 libnuma1 libudev1 liburing2 libffi8 libmount1 libblkid1 libselinux1
    libpcre2-8-0 zlib1g)
  extra_bins=(usr/sbin/qemu-ga)
fi
if [ "$variant" = router ]; then
  # virtio_console carries the agent channel. nf_tables itself holds counters, sets, dynamic set
  # updates (per-source rate limits: update @set { ip saddr limit rate over ... }) and comments;
  # the rest are the expressions Kraut's rulesets use (ct state, NAT, masquerade, limit, reject).
  required_modules+=(virtio_console nf_tables nft_ct nft_chain_nat nft_nat nft_masq nf_nat nf_conntrack
    nft_limit nft_reject nft_reject_inet nf_reject_ipv4 nf_reject_ipv6)
  # What a hand-made (geek mode) table may reasonably use: logging, fib, connection limits, quotas.
  optional_modules+=(nft_log nft_fib nft_fib_inet nft_fib_ipv4 nft_fib_ipv6 nft_connlimit nft_quota
    nft_numgen nft_hash nft_objref nft_redir)
  extra_pkgs=(nftables libnftables1 libmnl0 libnftnl11 libjansson4 libxtables12 libgmp10 libedit2 libbsd0
    libmd0 libtinfo6 dropbear-bin libtomcrypt1 libtommath1 zlib1g libcrypt1)
  extra_bins=(usr/sbin/nft usr/sbin/dropbear usr/bin/dropbearkey)
fi

log() { printf '[guest-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 [--router] [--arch amd64|arm64] OUTDIR" >&2; exit 2; }
mkdir -p "$1"
outdir=$(cd "$1" && pwd)
self=$(readlink -f "${BASH_SOURCE[0]}")
guest_files=$(dirname "$self")/guest-image
[ -f "$guest_files/init" ] || die "missing $guest_files/init"
img_out=$outdir/$name.qcow2
sums_out=$outdir/$name.sha256
stamp=$outdir/$name.inputs

tools=(apt-get apt-cache dpkg-deb dpkg-query depmod sfdisk mkfs.vfat mcopy mmd cpio gzip qemu-img sha256sum flock)
[ "$boot" = syslinux ] && tools+=(syslinux)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "missing $tool (run scripts/setup-host.sh)"
done
[ "$boot" != syslinux ] || [ -r "$mbr_bin" ] || die "missing $mbr_bin (package syslinux-common)"

# Parallel test runs may share OUTDIR: build once, the others wait and then see the stamp.
exec 9>"$outdir/.$name.lock"
flock 9

# A foreign architecture's packages come through a private apt state: the host's sources, its own
# lists with that architecture added, its own cache. dpkg's architectures are never changed.
apt_cfg=()
if [ -n "$pkg_arch" ]; then
  apt_state=$outdir/.apt-$arch
  mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial"
  apt_cfg=(-o "APT::Architectures::=$(dpkg --print-architecture)" -o "APT::Architectures::=$arch"
    -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache")
  [ "$(id -u)" = 0 ] && apt_cfg+=(-o APT::Sandbox::User=root)
  # Lists older than a day may name versions the mirror has dropped (security updates).
  if [ -z "$(find "$apt_state/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
    log "updating the private $arch package lists in $apt_state"
    apt-get "${apt_cfg[@]}" update -qq || die "apt-get update for $arch failed"
  fi
fi
candidate() { apt-cache ${apt_cfg[@]+"${apt_cfg[@]}"} policy "$1$pkg_arch" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }'; }
kernel_pkg() {
  apt-cache ${apt_cfg[@]+"${apt_cfg[@]}"} depends "$kernel_meta$pkg_arch" 2>/dev/null \
    | awk '$1 ~ /Depends:$/ && $2 ~ /^linux-image-[0-9]/ && !p { sub(/:.*/, "", $2); print $2; p = 1 }'
}

kpkg=$(kernel_pkg)
if [ -z "$kpkg" ] && [ -z "$pkg_arch" ] && [ "$(id -u)" = 0 ]; then
  log "apt lists do not know $kernel_meta; running apt-get update"
  apt-get update -qq
  kpkg=$(kernel_pkg)
fi
[ -n "$kpkg" ] || die "cannot resolve $kernel_meta (run apt-get update)"
kpkg_ver=$(candidate "$kpkg")
bb_ver=$(candidate busybox-static)
# busybox-static has no udhcpc6 applet, so stateful DHCPv6 is dhcpcd's (dynamically linked: it
# brings libc6's loader and libc along).
dhcpcd_ver=$(candidate dhcpcd-base)
libc_ver=$(candidate libc6)
# UEFI's bootloader comes from the target architecture's packages like the kernel.
if [ "$boot" = systemd-boot ]; then extra_pkgs+=(systemd-boot-efi); fi
for v in "$kpkg_ver" "$bb_ver" "$dhcpcd_ver" "$libc_ver"; do
  if [ -z "$v" ] || [ "$v" = "(none)" ]; then die "no candidate version for $kpkg, busybox-static, dhcpcd-base or libc6"; fi
done
extra_versions=""
extra_specs=()
for p in ${extra_pkgs[@]+"${extra_pkgs[@]}"}; do
  v=$(candidate "$p")
  if [ -z "$v" ] || [ "$v" = "(none)" ]; then die "no candidate version for $p (run apt-get update)"; fi
  extra_versions+=$'\n'"$p=$v"
  extra_specs+=("$p$pkg_arch=$v")
done
# The bootloader comes from the host's syslinux packages, so their versions are inputs too.
host_syslinux=""
[ "$boot" != syslinux ] || host_syslinux=$'\n'$(dpkg-query -W -f='${Package}=${Version}\n' syslinux syslinux-common 2>/dev/null || true)

inputs="script=$(sha256sum <"$self" | cut -d' ' -f1)
guest-files=$(cd "$guest_files" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
$kpkg=$kpkg_ver
busybox-static=$bb_ver
dhcpcd-base=$dhcpcd_ver
libc6=$libc_ver$extra_versions$host_syslinux"

# The checksum check also catches a base image that something wrote to by mistake.
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && [ -f "$sums_out" ] \
  && (cd "$outdir" && sha256sum --quiet -c "$name.sha256" >/dev/null 2>&1); then
  log "up to date: $img_out"
  echo "$img_out"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
rm -f "$stamp"

log "downloading $kpkg=$kpkg_ver busybox-static=$bb_ver dhcpcd-base=$dhcpcd_ver libc6=$libc_ver"
apt_opts=(-q ${apt_cfg[@]+"${apt_cfg[@]}"})
# A root-owned 0700 temp dir is not writable by apt's _apt sandbox user.
[ "$(id -u)" = 0 ] && apt_opts+=(-o APT::Sandbox::User=root)
mkdir "$work/debs"
(cd "$work/debs" && apt-get download "${apt_opts[@]}" "$kpkg$pkg_arch=$kpkg_ver" "busybox-static$pkg_arch=$bb_ver" \
  "dhcpcd-base$pkg_arch=$dhcpcd_ver" "libc6$pkg_arch=$libc_ver" ${extra_specs[@]+"${extra_specs[@]}"} >/dev/null)
dpkg-deb -x "$work"/debs/"$kpkg"_*.deb "$work/kernel"
dpkg-deb -x "$work"/debs/busybox-static_*.deb "$work/busybox"
dpkg-deb -x "$work"/debs/dhcpcd-base_*.deb "$work/dhcpcd"
dpkg-deb -x "$work"/debs/libc6_*.deb "$work/libc"
for p in ${extra_pkgs[@]+"${extra_pkgs[@]}"}; do dpkg-deb -x "$work/debs/${p}"_*.deb "$work/extra"; done

kver=$(ls "$work/kernel/lib/modules")
[ "$(echo "$kver" | wc -l)" = 1 ] || die "expected one kernel in $kpkg, found: $kver"
vmlinuz=$work/kernel/boot/vmlinuz-$kver
moddir=$work/kernel/lib/modules/$kver
bb=$work/busybox/bin/busybox
[ -f "$vmlinuz" ] || die "no vmlinuz in $kpkg"
[ -x "$bb" ] || die "no busybox in busybox-static"

# --- kernel modules: resolve dependencies from modules.dep, dependencies first ---------------
# The package has no modules.dep (its postinst runs depmod), so make one in the unpacked tree.
depmod -a -b "$work/kernel" "$kver"
declare -A mod_path=() mod_deps=() mod_seen=()
modname() { local b=${1##*/}; b=${b%%.ko*}; echo "${b//-/_}"; }
while IFS= read -r line; do
  p=${line%%:*}
  n=$(modname "$p")
  mod_path[$n]=$p
  mod_deps[$n]=${line#*:}
done <"$moddir/modules.dep"

load_order=()
add_module() {
  local n=$1 i d
  [ -z "${mod_seen[$n]:-}" ] || return 0
  [ -n "${mod_path[$n]:-}" ] || return 1
  mod_seen[$n]=1
  # A modules.dep line holds the whole closure with the deepest dependency last.
  local -a dep_list
  read -ra dep_list <<<"${mod_deps[$n]}"
  for ((i = ${#dep_list[@]} - 1; i >= 0; i--)); do
    d=$(modname "${dep_list[i]}")
    add_module "$d" || die "module $n needs $d, which is not in modules.dep"
  done
  load_order+=("$n")
}
for m in "${required_modules[@]}"; do
  if ! add_module "$m"; then
    grep -q "/$m.ko" "$moddir/modules.builtin" || die "module $m is neither in modules.dep nor built in"
  fi
done
for m in ${optional_modules[@]+"${optional_modules[@]}"}; do add_module "$m" || log "optional module $m not available, skipped"; done

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/kraut,etc/acpi/PWRF,proc,sys,dev,run,tmp,www,var/log,var/lib/dhcpcd,root,lib}
mkdir -p "$root/$loader_dir"
# /init starts the console shell on the serial port this architecture's machine has.
echo "/dev/$serial" >"$root/etc/kraut/serial"
ln -s ../run "$root/var/run"
: >"$root/etc/kraut/modules"
mkdir -p "$root/lib/modules/$kver"
for n in "${load_order[@]}"; do
  src=$moddir/${mod_path[$n]}
  rel=${mod_path[$n]%%.ko*}.ko
  mkdir -p "$(dirname "$root/lib/modules/$kver/$rel")"
  # The guest's insmod is simplest with plain .ko files, whatever compression the package uses.
  case "$src" in
    *.ko) cp "$src" "$root/lib/modules/$kver/$rel" ;;
    *.ko.xz) xz -dc "$src" >"$root/lib/modules/$kver/$rel" ;;
    *.ko.gz) gzip -dc "$src" >"$root/lib/modules/$kver/$rel" ;;
    *.ko.zst) zstd -qdc "$src" >"$root/lib/modules/$kver/$rel" ;;
    *) die "unknown module format: $src" ;;
  esac
  echo "/lib/modules/$kver/$rel" >>"$root/etc/kraut/modules"
  dep_line=""
  for d in ${mod_deps[$n]}; do dep_line+=" ${d%%.ko*}.ko"; done
  echo "$rel:$dep_line" >>"$root/lib/modules/$kver/modules.dep"
done
log "kernel $kver, modules: ${load_order[*]}"

# --- busybox userland --------------------------------------------------------------------------
cp "$bb" "$root/bin/busybox"
# A foreign busybox cannot run here to list its applets; the host's busybox-static is built from the
# same configuration (Debian builds one for every architecture).
lister=$bb
if [ -n "$pkg_arch" ]; then
  lister=$(command -v busybox) || die "missing busybox (package busybox-static) to list the applets"
fi
"$lister" --list-full | while read -r applet; do
  case "$applet" in */*) [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet" ;; esac
done

# dhcpcd and what it links against; its privilege-separation user must exist.
cp "$work/dhcpcd/usr/sbin/dhcpcd" "$root/sbin/dhcpcd"
mkdir -p "$root/lib/$multiarch"
cp "$work/libc/lib/$multiarch/libc.so.6" "$work/libc/lib/$multiarch/$loader" "$root/lib/$multiarch/"
# libm is libc6's too; qemu-ga needs it.
[ -z "${extra_bins[*]:-}" ] || cp "$work/libc/lib/$multiarch/libm.so.6" "$root/lib/$multiarch/"
ln -s "/lib/$multiarch/$loader" "$root/$loader_dir/$loader"
# The extra packages' programs, and every shared library they ship (with their symlinks).
for b in ${extra_bins[@]+"${extra_bins[@]}"}; do
  [ -f "$work/extra/$b" ] || die "no $b in ${extra_pkgs[*]}"
  cp "$work/extra/$b" "$root/$b"
done
for d in lib/$multiarch usr/lib/$multiarch; do
  [ -d "$work/extra/$d" ] || continue
  find "$work/extra/$d" -maxdepth 1 -name '*.so*' -exec cp -a -t "$root/lib/$multiarch/" {} +
done
# Every library a program needs must resolve inside the image: the image's own loader lists them
# (it also looks in the host's default directories, so anything found outside the root is missing).
# A foreign architecture's loader cannot run here; its dhcpcd is the same build as the native one
# this check passes for, and it has no extra programs.
if [ -z "$pkg_arch" ]; then
  for b in sbin/dhcpcd ${extra_bins[@]+"${extra_bins[@]}"}; do
    listed=$("$root/lib/$multiarch/$loader" --inhibit-cache --library-path "$root/lib/$multiarch" \
      --list "$root/$b") || die "cannot list the libraries of $b"
    outside=$(printf '%s\n' "$listed" | awk -v r="$root/" '$2 == "=>" && index($3, r) != 1 { print $1 }')
    [ -z "$outside" ] || die "$b needs libraries the image lacks: $outside"
  done
fi
printf 'root:x:0:0:root:/root:/bin/sh\ndhcpcd:x:100:65534:dhcpcd:/var/lib/dhcpcd:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

cp "$guest_files/init" "$root/init"
cp "$guest_files/udhcpc.sh" "$guest_files/dhcpcd.sh" "$guest_files/dhcpcd.conf" "$root/etc/"
cp "$guest_files/kraut-seed.sh" "$guest_files/yaml.awk" "$guest_files/netcfg.awk" "$guest_files/report.sh" "$root/etc/kraut/"
cp "$guest_files/poweroff.sh" "$root/etc/acpi/PWRF/00000080"
chmod 755 "$root/init" "$root/etc/udhcpc.sh" "$root/etc/dhcpcd.sh" "$root/etc/kraut/kraut-seed.sh" \
  "$root/etc/kraut/report.sh" "$root/etc/acpi/PWRF/00000080"
chmod 700 "$root/root"
if [ -f "$root/usr/sbin/qemu-ga" ]; then
  cp "$guest_files/fsfreeze-hook.sh" "$root/etc/kraut/"
  chmod 755 "$root/etc/kraut/fsfreeze-hook.sh"
fi
if [ "$variant" = router ]; then
  cp "$guest_files/router-agent.sh" "$root/etc/kraut/"
  chmod 755 "$root/etc/kraut/router-agent.sh"
  : >"$root/etc/kraut/router"
  mkdir -p "$root/etc/dropbear"
  printf '/bin/sh\n' >"$root/etc/shells"
fi

# The kernel's built-in initramfs already provides /dev/console for the first open.
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort \
  | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$work/initrd.gz"

cmdline="console=tty0 console=$serial,115200n8 panic=10"
cat >"$work/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT kraut
PROMPT 1
TIMEOUT 5
LABEL kraut
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND $cmdline
EOF

# --- disk: one FAT16 partition holding the bootloader, kernel and initrd. BIOS: MBR (syslinux
# mbr.bin) with the partition active. UEFI: GPT with the partition as EFI system partition, where
# the firmware finds EFI/BOOT/BOOTAA64.EFI (systemd-boot) by itself, with no boot entry in NVRAM.
raw=$work/disk.raw
truncate -s "${disk_mib}M" "$raw"
if [ "$boot" = syslinux ]; then
  printf 'label: dos\nlabel-id: 0x4b524155\nstart=%s, type=e, bootable\n' "$part_start" \
    | sfdisk --quiet "$raw" >/dev/null
  part_kib=$(((disk_mib * 2048 - part_start) / 2))
else
  printf 'label: gpt\nlabel-id: 4b524155-0000-4000-8000-00004b524155\nstart=%s, type=U, uuid=4b524155-0001-4000-8000-00004b524155\n' \
    "$part_start" | sfdisk --quiet "$raw" >/dev/null
  # GPT keeps a backup table in the disk's last 33 sectors: the filesystem must end before it.
  part_kib=$(((disk_mib * 2048 - part_start - 34) / 2))
fi
# (GPT: mkfs.vfat warns that the image holds more blocks than the filesystem; that is the backup table's room.)
mkfs.vfat -F 16 -n KRAUTGUEST -i 4b524155 -h "$part_start" --mbr=n --offset="$part_start" "$raw" "$part_kib" 2>&1 >/dev/null \
  | { grep -v '^Warning: block count mismatch' || true; } >&2
export MTOOLS_SKIP_CHECK=1
fat="$raw@@$((part_start * 512))"
mcopy -i "$fat" "$vmlinuz" ::vmlinuz
mcopy -i "$fat" "$work/initrd.gz" ::initrd.gz
if [ "$boot" = syslinux ]; then
  mcopy -i "$fat" "$work/syslinux.cfg" ::syslinux.cfg
  syslinux --install --offset "$((part_start * 512))" "$raw"
  dd if="$mbr_bin" of="$raw" bs=440 count=1 conv=notrunc status=none
else
  efi=$work/extra/usr/lib/systemd/boot/efi/systemd-bootaa64.efi
  [ -f "$efi" ] || die "no systemd-bootaa64.efi in systemd-boot-efi$pkg_arch"
  mmd -i "$fat" ::EFI ::EFI/BOOT ::loader ::loader/entries
  mcopy -i "$fat" "$efi" ::EFI/BOOT/BOOTAA64.EFI
  # timeout 0: straight to the default entry; the menu is never shown.
  printf 'default kraut.conf\ntimeout 0\n' >"$work/loader.conf"
  printf 'title Kraut test guest\nlinux /vmlinuz\ninitrd /initrd.gz\noptions %s\n' "$cmdline" >"$work/kraut.conf"
  mcopy -i "$fat" "$work/loader.conf" ::loader/loader.conf
  mcopy -i "$fat" "$work/kraut.conf" ::loader/entries/kraut.conf
fi

qemu-img convert -f raw -O qcow2 "$raw" "$work/$name.qcow2"
cp "$vmlinuz" "$work/$name.vmlinuz"
(cd "$work" && sha256sum "$name.qcow2" "$name.vmlinuz" >"$name.sha256")

# Copy next to the target and rename, so readers never see a half-written image.
for f in "$name.qcow2" "$name.vmlinuz" "$name.sha256"; do
  cp "$work/$f" "$outdir/.$f.tmp"
  mv -f "$outdir/.$f.tmp" "$outdir/$f"
done
printf '%s\n' "$inputs" >"$stamp"
log "built $img_out ($(du -k "$img_out" | cut -f1) KiB on disk, initrd $(du -k "$work/initrd.gz" | cut -f1) KiB)"
echo "$img_out"
