#!/bin/sh
# Finds the cloud-init NoCloud seed (an ISO 9660 volume labelled cidata) and copies its files to
# $1; prints the device it came from. Exits 1 when there is no seed.
out=$1
mnt=/run/kraut-seed-mnt
mkdir -p "$out" "$mnt"
# The seed CD appears a moment after the virtio-scsi bus scan, which runs asynchronously.
n=0
while [ $n -lt 50 ] && ls -d /sys/class/scsi_host/host* >/dev/null 2>&1 && ! ls /dev/sr* >/dev/null 2>&1; do
  sleep 0.1
  n=$((n + 1))
done
for dev in $(findfs LABEL=cidata 2>/dev/null) /dev/sr0 /dev/sr1 /dev/vd[b-z]; do
  [ -b "$dev" ] || continue
  mount -t iso9660 -o ro "$dev" "$mnt" 2>/dev/null || continue
  if [ -f "$mnt/meta-data" ]; then
    for f in meta-data user-data network-config vendor-data; do
      [ -f "$mnt/$f" ] && cp "$mnt/$f" "$out/$f"
    done
    umount "$mnt"
    echo "$dev"
    exit 0
  fi
  umount "$mnt"
done
exit 1
