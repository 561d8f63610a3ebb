#!/usr/bin/env bash
# Starts the LDAP directory the auth tests bind against, without systemd, and loads its test entries.
#   ldap://127.0.0.1:3890/   (StartTLS offered)      ldaps://127.0.0.1:6360/
#   suffix dc=kraut,dc=test, admin cn=admin,dc=kraut,dc=test / kraut-admin
#   users  uid=alice / alice-pw-1, uid=bob / bob-pw-2, uid=a\,b\=c\+d / tricky-pw-3 under ou=people
#   groups cn=kraut-admins (alice), cn=developers (alice, bob, a,b=c+d) under ou=groups
#   decoy  uid=x,ou=decoy,ou=people / decoy-pw: what an unescaped user name "x,ou=decoy" would reach
# A private slapd instance (own config, database, certificates and ports) under $KRAUT_TEST_LDAP_DIR, so it
# neither needs nor disturbs a system-wide slapd. Its self-signed CA is $KRAUT_TEST_LDAP_DIR/tls/ca/ca.crt.
# Idempotent: a running instance is kept, and the entries are put back to the state above (about 0.2 s).
# Prints the ldap:// URL on stdout.
set -euo pipefail

state=${KRAUT_TEST_LDAP_DIR:-/var/lib/kraut-test-ldap}
url=ldap://127.0.0.1:3890/
ldaps_url=ldaps://127.0.0.1:6360/
suffix=dc=kraut,dc=test
admin_dn=cn=admin,$suffix
admin_pw=kraut-admin

log() { printf '[test-ldap] %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "run as root (installs packages, runs slapd as openldap)"; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in slapd ldap-utils openssl; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # slapd's postinst asks for these; the directory it makes is not the one used here, but the answers keep it quiet.
  debconf-set-selections <<EOF
slapd slapd/password1 password $admin_pw
slapd slapd/password2 password $admin_pw
slapd slapd/internal/adminpw password $admin_pw
slapd slapd/internal/generated_adminpw password $admin_pw
slapd slapd/domain string kraut.test
slapd shared/organization string Kraut Test
slapd slapd/no_configuration boolean false
slapd slapd/purge_database boolean false
slapd slapd/move_old_database boolean true
EOF
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

answers() { ldapsearch -x -H "$url" -b "" -s base -o nettimeout=2 namingContexts 2>/dev/null | grep -q "^namingContexts: $suffix"; }

make_tls() {
  # A CA made here, and a server certificate for 127.0.0.1 and localhost signed by it.
  local tls=$state/tls
  mkdir -p "$tls/ca"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Kraut Test LDAP CA" \
    -keyout "$tls/ca.key" -out "$tls/ca/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca/ca.crt" -CAkey "$tls/ca.key" -CAserial "$tls/ca.srl" -CAcreateserial -days 3650 \
    -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
  # OpenSSL-built libldap looks CAs up by subject hash; GnuTLS-built (Debian's) reads every file. Serve both.
  ln -sf ca.crt "$tls/ca/$(openssl x509 -hash -noout -in "$tls/ca/ca.crt").0"
}

make_config() {
  log "creating a slapd instance in $state"
  rm -rf "$state"
  mkdir -p "$state/slapd.d" "$state/data" "$state/run"
  make_tls
  local root_pw
  root_pw=$(slappasswd -s "$admin_pw")
  slapadd -n0 -F "$state/slapd.d" >/dev/null <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $state/run/slapd.pid
olcArgsFile: $state/run/slapd.args
olcTLSCACertificateFile: $state/tls/ca/ca.crt
olcTLSCertificateFile: $state/tls/server.crt
olcTLSCertificateKeyFile: $state/tls/server.key

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $state/data
olcSuffix: $suffix
olcRootDN: $admin_dn
olcRootPW: $root_pw
olcDbIndex: objectClass eq
olcDbIndex: uid,member eq
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by users read by * none
EOF
  # Groups are readable only after a bind: the verifier must search as the user, not anonymously.
  chown -R openldap:openldap "$state"
  chmod 700 "$state"
}

if answers; then
  log "slapd already answers on $url"
else
  [ -d "$state/slapd.d/cn=config" ] || make_config
  if [ -f "$state/run/slapd.pid" ] && kill -0 "$(cat "$state/run/slapd.pid")" 2>/dev/null; then
    log "slapd (pid $(cat "$state/run/slapd.pid")) runs but does not answer; restarting it"
    kill "$(cat "$state/run/slapd.pid")"
    sleep 1
  fi
  log "starting slapd on $url and $ldaps_url"
  slapd -F "$state/slapd.d" -h "$url $ldaps_url" -u openldap -g openldap
  for _ in $(seq 1 50); do answers && break; sleep 0.1; done
  answers || { log "slapd does not answer on $url"; exit 1; }
fi

# The entries, put back to a known state on every run: add what is missing, then reset passwords and members.
modify() { ldapmodify -x -H "$url" -D "$admin_dn" -w "$admin_pw" -c "$@" >/dev/null; }
add_missing() {
  local out
  if ! out=$(ldapadd -x -H "$url" -D "$admin_dn" -w "$admin_pw" -c 2>&1 >/dev/null); then
    # 68 is "already exists", the normal case on a re-run; anything else is a real failure.
    if grep -v "Already exists\|^$\|^adding new entry" <<<"$out" | grep -q .; then log "$out"; exit 1; fi
  fi
}
user() { # uid-as-in-DN, uid attribute value, password
  printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nuserPassword: %s\n\n' \
    "$1" "$suffix" "$2" "$2" "$2" "$(slappasswd -s "$3")"
}
group() { # cn, member DNs...
  local cn=$1; shift
  printf 'dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: %s\n' "$cn" "$suffix" "$cn"
  for m in "$@"; do printf 'member: %s\n' "$m"; done
  printf '\n'
}
alice="uid=alice,ou=people,$suffix"
bob="uid=bob,ou=people,$suffix"
tricky="uid=a\\,b\\=c\\+d,ou=people,$suffix"

entries=$(
  printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: kraut\no: Kraut Test\n\n' "$suffix"
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$suffix"
  printf 'dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n' "$suffix"
  printf 'dn: ou=decoy,ou=people,%s\nobjectClass: organizationalUnit\nou: decoy\n\n' "$suffix"
  user alice alice alice-pw-1
  user bob bob bob-pw-2
  user 'a\,b\=c\+d' 'a,b=c+d' tricky-pw-3
  printf 'dn: uid=x,ou=decoy,ou=people,%s\nobjectClass: inetOrgPerson\nuid: x\ncn: x\nsn: x\nuserPassword: %s\n\n' \
    "$suffix" "$(slappasswd -s decoy-pw)"
  group kraut-admins "$alice"
  group developers "$alice" "$bob" "$tricky"
)
add_missing <<<"$entries"

reset=$(
  for pair in "uid=alice,ou=people:alice-pw-1" "uid=bob,ou=people:bob-pw-2" \
              'uid=a\,b\=c\+d,ou=people:tricky-pw-3' "uid=x,ou=decoy,ou=people:decoy-pw"; do
    printf 'dn: %s,%s\nchangetype: modify\nreplace: userPassword\nuserPassword: %s\n\n' "${pair%%:*}" "$suffix" "$(slappasswd -s "${pair#*:}")"
  done
  printf 'dn: cn=kraut-admins,ou=groups,%s\nchangetype: modify\nreplace: member\nmember: %s\n\n' "$suffix" "$alice"
  printf 'dn: cn=developers,ou=groups,%s\nchangetype: modify\nreplace: member\nmember: %s\nmember: %s\nmember: %s\n\n' \
    "$suffix" "$alice" "$bob" "$tricky"
)
modify <<<"$reset"

log "test directory ready: $url ($ldaps_url), CA $state/tls/ca/ca.crt"
echo "$url"
