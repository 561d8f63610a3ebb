# Sourced by /init and the DHCP hooks: prints the KRAUT-GUEST-* lines tests parse, each fact once
# per boot (a lease renewal or a second look at the same address prints nothing new).
kraut_once() {
  mkdir -p /run/kraut-said
  mkdir "/run/kraut-said/$(echo "$*" | tr '/: ' '___')" 2>/dev/null
}

kraut_mac() { cat "/sys/class/net/$1/address" 2>/dev/null; }

# kraut_addr IFACE inet|inet6 ADDR/PREFIX dhcp|static|slaac|dhcpv6
kraut_addr() {
  kraut_once addr "$1" "$3" || return 0
  echo "KRAUT-GUEST-ADDR iface=$1 mac=$(kraut_mac "$1") family=$2 addr=$3 source=$4" >/dev/console
}

# kraut_route VIA IFACE: a default route the guest uses.
kraut_route() {
  kraut_once route "$1" "$2" || return 0
  echo "KRAUT-GUEST-ROUTE default via=$1 iface=$2" >/dev/console
}

# kraut_ready IFACE IP: the NIC's first IPv4 address (from DHCP or the seed), once per NIC and boot.
kraut_ready() {
  if mkdir "/run/kraut-ready.$1" 2>/dev/null; then
    echo "KRAUT-GUEST-READY iface=$1 ip=$2 mac=$(kraut_mac "$1")" >/dev/console
  fi
}

# Every NIC's DNS settings are kept apart and joined, so one NIC's lease does not wipe another's.
kraut_resolv() { cat /run/resolv/* >/etc/resolv.conf 2>/dev/null || : >/etc/resolv.conf; }
