# Turns yaml.awk's PATH<TAB>VALUE lines of a network-config v2 into one line per NIC fact,
#   MAC FACT VALUE    FACT: dhcp4 dhcp6 accept-ra mtu addr route(VALUE "DEST VIA") dns search
# for the ethernets matched by MAC (the only kind Kraut writes), in the document's order.
BEGIN { FS = "\t" }
$1 ~ /^ethernets\// {
  n = split($1, p, "/")
  id = p[2]
  if (!(id in seen)) { seen[id] = 1; ids[++count] = id }
  rest = substr($1, length("ethernets/" id "/") + 1)
  if (rest == "match/macaddress") { mac[id] = tolower($2); next }
  if (rest ~ /^(dhcp4|dhcp6|accept-ra|mtu)$/) { fact(id, rest " " $2); next }
  if (rest ~ /^addresses\/-[0-9]+$/) { fact(id, "addr " $2); next }
  if (rest ~ /^nameservers\/addresses\/-[0-9]+$/) { fact(id, "dns " $2); next }
  if (rest ~ /^nameservers\/search\/-[0-9]+$/) { fact(id, "search " $2); next }
  if (rest ~ /^routes\/-[0-9]+\/(to|via)$/) {
    r = id SUBSEP p[4]
    if (!(r in rto)) rorder[id, ++nroutes[id]] = p[4]
    if (p[5] == "to") rto[r] = $2; else rvia[r] = $2
    if (r in rvia && r in rto) fact(id, "route " rto[r] " " rvia[r])
    next
  }
}
function fact(id, f) { facts[id, ++nfacts[id]] = f }
END {
  for (i = 1; i <= count; i++) {
    id = ids[i]
    if (!(id in mac)) continue
    for (j = 1; j <= nfacts[id]; j++) print mac[id], facts[id, j]
  }
}
