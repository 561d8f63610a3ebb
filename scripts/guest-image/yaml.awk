# A small YAML reader for the block-style subset cloud-init seeds use (what Kraut writes):
# mappings, sequences (indented or not), "- key: value" items, plain/quoted scalars, comments.
# Prints one line per scalar: PATH<TAB>VALUE, PATH being the keys joined by "/", with "-N" for
# the N-th sequence item in the document, e.g. ethernets/nic0/routes/-3/via<TAB>10.0.0.1
function unquote(v) {
  sub(/^[ \t]+/, "", v)
  if (v ~ /^"/) {
    v = substr(v, 2)
    sub(/"[ \t]*$/, "", v)
    gsub(/\\"/, "\"", v)
    gsub(/\\\\/, "\\", v)
    return v
  }
  if (v ~ /^'/) {
    v = substr(v, 2)
    sub(/'[ \t]*$/, "", v)
    gsub(/''/, "'", v)
    return v
  }
  sub(/[ \t]+#.*$/, "", v)
  sub(/[ \t]+$/, "", v)
  return v
}
function path(k,   i, p) {
  p = ""
  for (i = 1; i <= depth; i++) p = p key[i] "/"
  return p k
}
function pop(ind) { while (depth > 0 && indent[depth] >= ind) depth-- }
# A "key: value" or "key:" at indentation ind.
function keyline(ind, s,   k, v) {
  pop(ind)
  k = s
  sub(/:.*$/, "", k)
  v = s
  sub(/^[^:]*:/, "", v)
  k = unquote(k)
  if (v ~ /^[ \t]*$/) {
    depth++; indent[depth] = ind; key[depth] = k
  } else {
    printf "%s\t%s\n", path(k), unquote(v)
  }
}
/^[ \t]*(#.*)?$/ || /^(---|\.\.\.)/ { next }
{
  s = $0
  match(s, /^ */)
  ind = RLENGTH
  s = substr(s, ind + 1)
  while (s ~ /^-( |$)/) {
    # A sequence item: its parent is the container at this indentation or above.
    while (depth > 0 && indent[depth] > ind) depth--
    items++
    depth++; indent[depth] = ind + 1; key[depth] = "-" items
    s = substr(s, 2)
    match(s, /^ */)
    ind += 1 + RLENGTH
    s = substr(s, RLENGTH + 1)
  }
  if (s == "") next
  if (s ~ /^("[^"]*"|'[^']*'|[^"' \t][^:]*):([ \t]|$)/) keyline(ind, s)
  else printf "%s\t%s\n", substr(path(""), 1, length(path("")) - 1), unquote(s)
}
