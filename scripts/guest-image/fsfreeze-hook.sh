#!/bin/sh
# qemu-ga's fsfreeze hook: called with "freeze" before the agent freezes the guest's filesystems and with "thaw" after
# it thawed them. A real guest flushes its databases here; the test guest says on its serial console what it was
# asked, so a test can see the freeze happen around a backup.
echo "KRAUT-GUEST-FSFREEZE $1" >/dev/console
