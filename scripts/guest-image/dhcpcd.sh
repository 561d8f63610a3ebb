#!/bin/sh
# dhcpcd hook (DHCPv6): dhcpcd has configured the address itself; this reports it and keeps DNS.
[ -n "$interface" ] || exit 0
. /etc/kraut/report.sh
case "$reason" in
BOUND6 | RENEW6 | REBIND6 | REBOOT6)
  # The lease's addresses are in new_dhcp6_ia_na*_ia_addr*; the prefix is what dhcpcd gave them.
  for a in $(env | sed -n 's/^new_dhcp6_ia_na[0-9]*_ia_addr[0-9]*=//p'); do
    p=$(ip -6 -o addr show dev "$interface" | awk -v a="$a" '{ split($4, x, "/"); if (x[1] == a) { print $4; exit } }')
    kraut_addr "$interface" inet6 "${p:-$a/128}" dhcpv6
  done
  mkdir -p /run/resolv
  {
    [ -z "$new_dhcp6_domain_search" ] || echo "search $new_dhcp6_domain_search"
    for d in $new_dhcp6_name_servers; do echo "nameserver $d"; done
  } >"/run/resolv/$interface.6"
  kraut_resolv
  ;;
EXPIRE6 | STOP6 | RELEASE6)
  rm -f "/run/resolv/$interface.6"
  kraut_resolv
  ;;
esac
exit 0
