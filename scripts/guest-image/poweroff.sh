#!/bin/sh
# Run by busybox acpid on the ACPI power button (virsh shutdown, and virsh reboot's fake reboot).
echo "KRAUT-GUEST-POWEROFF" >/dev/console
sync
poweroff -f
