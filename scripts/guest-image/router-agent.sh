#!/bin/sh
# The Kraut router agent: answers the portal over the virtio-serial port named org.kraut.agent (the
# domain's <channel>; on the host a Unix socket QEMU listens on). No network path to the portal.
#
# Protocol (KrautPortal.Hypervisor/Routers/RouterAgentClient.cs is the other end), one request at a time:
#   request:  "<id> <VERB> <n>\n" then exactly n bytes of payload
#   answer:   "<id> <STATUS> <n>\n" then exactly n bytes of body; STATUS is OK, NONE or ERR (body: one line)
#   <id> is 1-32 of [0-9a-z], chosen by the host and echoed: an answer to a request whose sender gave up
#   (a write blocks until a host end is connected again) is recognised by its id and skipped.
# Verbs:
#   APPLY      payload: a whole ruleset that replaces table inet kraut (it starts "table inet kraut" /
#              "delete table inet kraut"). nft -c -f, then nft -f: one transaction. OK body: the sha256 of
#              the text, which is now the loaded one; ERR: nft's first error line, the previous one stays.
#   LOADED     OK body: "<sha256>\n" + the loaded text; NONE: nothing loaded, or table inet kraut is gone.
#   COUNTERS   OK body: nft -j list table inet kraut; ERR when that table is not loaded.
#   TABLES     OK body: one "family name" line per nftables table.
#   SSH        payload: authorized_keys. Empty: dropbear stops; else the keys are written and dropbear
#              listens on port 22 (host key made once per boot). OK body: "running" or "stopped".
#   SSHSTATUS  OK body: "running" (dropbear up and listening on 22) or "stopped".
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
state=/run/kraut-agent
max_payload=4194304
hostkey=/etc/dropbear/dropbear_ed25519_host_key
mkdir -p "$state"

find_port() {
  for d in /sys/class/virtio-ports/*; do
    [ "$(cat "$d/name" 2>/dev/null)" = org.kraut.agent ] || continue
    [ -c "/dev/${d##*/}" ] && echo "/dev/${d##*/}" && return 0
  done
  return 1
}

# answer ID STATUS BODYFILE
answer() {
  printf '%s %s %s\n' "$1" "$2" "$(wc -c <"$3")" >&3
  cat "$3" >&3
}

# fail ID MESSAGE: one line, so the host can show it as it is.
fail() {
  printf '%s' "$2" | tr '\n\r' '  ' >"$state/body"
  answer "$1" ERR "$state/body"
}

ssh_running() {
  [ -f /run/dropbear.pid ] && kill -0 "$(cat /run/dropbear.pid)" 2>/dev/null \
    && cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$2 ~ /:0016$/ && $4 == "0A" { f = 1 } END { exit !f }'
}

ssh_state() { if ssh_running; then echo running; else echo stopped; fi; }

ssh_stop() {
  [ -f /run/dropbear.pid ] && kill "$(cat /run/dropbear.pid)" 2>/dev/null
  rm -f /run/dropbear.pid /root/.ssh/authorized_keys
  n=0
  while [ $n -lt 50 ] && ssh_running; do sleep 0.1; n=$((n + 1)); done
}

ssh_start() {
  mkdir -p /root/.ssh
  chmod 700 /root/.ssh
  cp "$1" /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
  [ -f "$hostkey" ] || dropbearkey -t ed25519 -f "$hostkey" >/dev/null 2>&1 || return 1
  if ! ssh_running; then
    # -s: keys only, never passwords. The listening socket is up once dropbear has forked.
    dropbear -r "$hostkey" -p 22 -s -P /run/dropbear.pid </dev/null >/dev/null 2>&1 || return 1
    n=0
    while [ $n -lt 50 ] && ! ssh_running; do sleep 0.1; n=$((n + 1)); done
  fi
  ssh_running
}

apply() {
  id=$1 file=$2
  # Kraut replaces only its own table: hand-made tables (geek mode) must survive every apply.
  if grep -qiE '^[[:space:]]*flush[[:space:]]+ruleset' "$file"; then
    fail "$id" "the ruleset flushes the whole ruleset; it may only replace table inet kraut"
    return
  fi
  if ! nft -c -f "$file" >"$state/nft.err" 2>&1 || ! nft -f "$file" >"$state/nft.err" 2>&1; then
    # nft names the file it read: say "line N:COLUMNS" instead.
    msg=$({ grep -m 1 'Error' "$state/nft.err" || head -n 1 "$state/nft.err"; } | sed "s|^$file:|line |")
    fail "$id" "nft refused the ruleset: $msg"
    echo "KRAUT-ROUTER-REFUSED $msg" >/dev/console
    return
  fi
  mv -f "$file" "$state/loaded.nft"
  sha256sum "$state/loaded.nft" | cut -d' ' -f1 | tr -d '\n' >"$state/body"
  echo "KRAUT-ROUTER-APPLIED sha256=$(cat "$state/body")" >/dev/console
  answer "$id" OK "$state/body"
}

loaded() {
  if [ -f "$state/loaded.nft" ] && nft list table inet kraut >/dev/null 2>&1; then
    { sha256sum "$state/loaded.nft" | cut -d' ' -f1; cat "$state/loaded.nft"; } >"$state/body"
    answer "$1" OK "$state/body"
  else
    : >"$state/body"
    answer "$1" NONE "$state/body"
  fi
}

handle() {
  id=$1 verb=$2 payload=$3
  case "$verb" in
  APPLY) apply "$id" "$payload" ;;
  LOADED) loaded "$id" ;;
  COUNTERS)
    if ! nft list table inet kraut >/dev/null 2>&1; then fail "$id" "table inet kraut is not loaded"
    elif nft -j list table inet kraut >"$state/body" 2>"$state/nft.err"; then answer "$id" OK "$state/body"
    else fail "$id" "$(head -n 1 "$state/nft.err")"; fi
    ;;
  TABLES)
    nft list tables 2>"$state/nft.err" | sed -n 's/^table //p' >"$state/body"
    answer "$id" OK "$state/body"
    ;;
  SSH)
    if [ -s "$payload" ]; then
      if ssh_start "$payload"; then echo "KRAUT-ROUTER-SSH running keys=$(grep -c . "$payload")" >/dev/console
      else fail "$id" "dropbear did not start"; return; fi
    else
      ssh_stop
      echo "KRAUT-ROUTER-SSH stopped" >/dev/console
    fi
    ssh_state >"$state/body"
    answer "$id" OK "$state/body"
    ;;
  SSHSTATUS)
    ssh_state >"$state/body"
    answer "$id" OK "$state/body"
    ;;
  *) fail "$id" "unknown request $verb" ;;
  esac
}

said=false
until port=$(find_port); do
  [ $said = true ] || echo "KRAUT-ROUTER-AGENT-WAITING no virtio port named org.kraut.agent"
  said=true
  sleep 1
done >/dev/console
# The port opens once; QEMU tells the guest when a host end comes and goes.
exec 3<>"$port"
echo "KRAUT-ROUTER-AGENT-READY port=$port" >/dev/console

while :; do
  # read() gives 0 at once while no host end is connected: that is EOF here, so wait a little.
  if ! read -r id verb len rest <&3; then
    sleep 0.2
    continue
  fi
  case "$id" in "" | *[!0-9a-z]*) continue ;; esac
  [ ${#id} -le 32 ] || continue
  case "$len" in "" | *[!0-9]*) fail "$id" "bad request line: $verb $len"; continue ;; esac
  if [ "$len" -gt $max_payload ]; then
    # The payload is not read: what follows is garbage until the next valid request line.
    fail "$id" "payload of $len bytes is over the limit of $max_payload"
    continue
  fi
  : >"$state/req"
  if [ "$len" -gt 0 ]; then
    # fullblock: exactly len bytes, never more; a host end that leaves mid-way gives a short read.
    timeout 30 dd bs="$len" count=1 iflag=fullblock of="$state/req" <&3 2>/dev/null
  fi
  if [ "$(wc -c <"$state/req")" -ne "$len" ]; then
    fail "$id" "payload shorter than $len bytes"
    continue
  fi
  handle "$id" "$verb" "$state/req"
done
