#!/bin/sh
# udhcpc hook: $1 is the event, the lease is in the environment (ip, mask, router, dns, ...).
[ -n "$interface" ] || exit 1
. /etc/kraut/report.sh
case "$1" in
deconfig)
  ip -4 addr flush dev "$interface"
  ip link set "$interface" up
  rm -f "/run/resolv/$interface"
  kraut_resolv
  ;;
bound | renew)
  [ -n "$mask" ] || { eval "$(ipcalc -p "$ip" "${subnet:-255.255.255.0}")"; mask=$PREFIX; }
  # Touch the address only when it changed, so a renewal does not cut connections.
  if ! ip -4 -o addr show dev "$interface" | grep -q " $ip/$mask "; then
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" ${broadcast:+broadcast "$broadcast"} dev "$interface"
  fi
  kraut_addr "$interface" inet "$ip/$mask" dhcp
  # A metric per NIC lets the default routes of several NICs coexist.
  metric=$((100 + $(cat "/sys/class/net/$interface/ifindex")))
  for r in $router; do
    ip route replace default via "$r" dev "$interface" metric "$metric"
    kraut_route "$r" "$interface"
    break
  done
  mkdir -p /run/resolv
  {
    [ -z "$domain" ] || echo "search $domain"
    for d in $dns; do echo "nameserver $d"; done
  } >"/run/resolv/$interface"
  kraut_resolv
  kraut_ready "$interface" "$ip"
  ;;
esac
exit 0
