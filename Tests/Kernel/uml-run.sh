#!/usr/bin/env bash
# uml-run.sh - run one command inside a throw-away User-Mode-Linux guest kernel.
# (Ward's copy of the lab recipe; the kernel interop test runs Tests/Kernel/esp-interop.sh here.)
#
# Why: some kernels (e.g. slim VM/CI kernels) are built without ESP/AH/GCM/DES
# (CONFIG_INET_ESP etc. unset) and cannot load modules, so "ip xfrm state add
# ... proto esp" fails with "Requested type not found".  Debian's
# user-mode-linux package ships a complete 6.1 kernel as an ordinary program
# (/usr/bin/linux.uml) plus modules (/usr/lib/uml/modules/<ver>) that do have
# the full Linux IPsec stack.  The guest sees the host file system read-only
# (hostfs), so every host tool (ip, tcpdump, tshark, charon, swanctl, iperf3,
# python3 ...) is available inside it; only $LAB_SHARE (default /tmp/lab) is
# mounted read-write, at the same path, to hand results back.  The guest has no
# network connection to the outside at all: build the lab namespaces *inside*
# it with netns.sh.
#
# usage: uml-run.sh [-m MEM] [-t SECONDS] [--] COMMAND [ARGS...]
#   e.g. uml-run.sh -- ./xfrm-manual.sh all
#        uml-run.sh -- bash -c './netns.sh up && ip netns exec labA ping -c1 10.77.0.2'
# exit status: that of COMMAND; 124 on timeout; 125 if the guest failed.
#
# Environment: LAB_UML_KERNEL (default $WARD_UML_DIR/linux.uml when scripts/uml-kernel.sh
#   provisioned one, else /usr/bin/linux.uml), LAB_UML_MODDIR (default beside that kernel), LAB_SHARE (default /tmp/ward-uml),
#   LAB_UML_MEM (default 1024M), LAB_UML_TIMEOUT (default 600 s),
#   LAB_UML_EXTRA_MODULES (extra modules to load).  All LAB_* variables are
#   passed into the guest; LAB_IN_UML=1 is set there.
# Needs: apt-get install user-mode-linux kmod   (root; no /dev/kvm needed)
set -euo pipefail

# scripts/uml-kernel.sh puts a kernel that boots on hosts Debian's does not (AMX CPUs) here.
PROVISIONED=${WARD_UML_DIR:-/var/lib/ward-lab/uml}
if [ -z "${LAB_UML_KERNEL:-}" ] && [ -x "$PROVISIONED/linux.uml" ]; then
  UML=$PROVISIONED/linux.uml; MODDIR=${LAB_UML_MODDIR:-$PROVISIONED/modules}
else
  UML=${LAB_UML_KERNEL:-/usr/bin/linux.uml}; MODDIR=${LAB_UML_MODDIR:-/usr/lib/uml/modules}
fi
SHARE=${LAB_SHARE:-/tmp/ward-uml}
MEM=${LAB_UML_MEM:-1024M}
TMO=${LAB_UML_TIMEOUT:-600}
while [ $# -gt 0 ]; do
  case $1 in
    -m) MEM=$2; shift 2;;
    -t) TMO=$2; shift 2;;
    --) shift; break;;
    -h|--help) sed -n '2,/^set -e/{/^#/p}' "$0"; exit 0;;
    *) break;;
  esac
done
[ $# -gt 0 ] || { sed -n '2,/^set -e/{/^#/p}' "$0"; exit 2; }
[ -x "$UML" ] || { echo "uml-run.sh: $UML missing (apt-get install user-mode-linux)" >&2; exit 125; }
command -v modprobe >/dev/null || { echo "uml-run.sh: modprobe missing (apt-get install kmod)" >&2; exit 125; }
KVER=$(ls "$MODDIR" | sort -V | tail -1)
[ -n "$KVER" ] || { echo "uml-run.sh: no modules in $MODDIR" >&2; exit 125; }

mkdir -p "$SHARE/uml"
WORK=$(mktemp -d "$SHARE/uml/run.XXXXXX")
UPID=
cleanup() {
  if [ -n "$UPID" ] && kill -0 "$UPID" 2>/dev/null; then
    kill -TERM -- "-$UPID" 2>/dev/null || true; sleep 1
    kill -KILL -- "-$UPID" 2>/dev/null || true
  fi
  [ "${LAB_KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# modprobe inside the guest must look at the UML module tree
mkdir -p "$WORK/modroot/lib/modules"
ln -s "$MODDIR/$KVER" "$WORK/modroot/lib/modules/$KVER"
cat > "$WORK/modprobe" <<EOF
#!/bin/sh
exec /usr/sbin/modprobe -d $WORK/modroot "\$@"
EOF
chmod +x "$WORK/modprobe"

# the command, with LAB_* environment
{
  echo 'export LAB_IN_UML=1 HOME=/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  { env | grep -E '^LAB_[A-Za-z0-9_]*=' || true; } | while IFS='=' read -r k v; do printf 'export %s=%q\n' "$k" "$v"; done
  printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
  printf '%q ' "$@"; echo
} > "$WORK/cmd.sh"

MODULES="veth tun dummy xfrm_user xfrm_algo esp4 esp6 ah4 ah6 xfrm4_tunnel xfrm6_tunnel
 authenc authencesn gcm ccm ctr cbc des_generic aes_generic echainiv seqiv hmac md5 sha1 sha256
 sha512 xcbc cmac chacha20poly1305 nf_tables nft_masq nf_nat nf_conntrack ip_tables iptable_nat xt_MASQUERADE
 ${LAB_UML_EXTRA_MODULES:-}"
MODULES=$(echo $MODULES)
hex() { printf "%0$(($1 * 2))d" 0 | tr 0 "$2"; }  # hex BYTES DIGIT: a key of BYTES bytes
WARMUP="" spi=256
for auth in "md5 16 96" "sha1 20 96" "sha256 32 128" "sha384 48 192" "sha512 64 256"; do
  read -r hash bytes bits <<<"$auth"
  for enc in "cbc(aes) 16" "cbc(des3_ede) 24" "cbc(des) 8" "ecb(cipher_null) 0"; do
    spi=$((spi + 1))
    key=""; [ "${enc#* }" != 0 ] && key=0x$(hex "${enc#* }" 2)
    WARMUP+="ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi $spi mode transport auth-trunc 'hmac($hash)' 0x$(hex "$bytes" 1) $bits enc '${enc% *}' '$key' 2>/dev/null"$'\n'
  done
done
WARMUP+="ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 1 mode transport aead 'rfc4106(gcm(aes))' 0x$(hex 20 3) 128 2>/dev/null"$'\n'
WARMUP+="ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 2 mode transport aead 'rfc7539esp(chacha20,poly1305)' 0x$(hex 36 4) 128 2>/dev/null"
cat > "$WORK/init" <<EOF
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH
mount -t proc proc /proc; mount -t sysfs sys /sys
# Plain newlines on the console from the first line on: the callers split the output on "\n", and
# in Swift "\r\n" is one character that such a split does not break.
stty -F /dev/console -onlcr 2>/dev/null
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
mkdir -p $SHARE && mount -t hostfs -o $SHARE hostfs $SHARE
echo $WORK/modprobe > /proc/sys/kernel/modprobe
for m in $MODULES; do $WORK/modprobe -q \$m 2>/dev/null || echo "uml: no module \$m"; done
ip link set lo up
# Instantiate (and self-test) every ESP transform the tests use once, before any of them runs:
# the first SA of an algorithm otherwise pays the crypto manager's self-tests inside a test's
# timed window (seconds for gcm or hmac(sha384) on a loaded machine).
$WARMUP
ip xfrm state flush
hostname labuml
/bin/bash $WORK/cmd.sh </dev/null; echo \$? > $WORK/rc
sync
exec /usr/bin/python3 -c 'import ctypes; ctypes.CDLL(None).reboot(0x4321fedc)'
EOF
chmod +x "$WORK/init"

# Guest RAM is a file in TMPDIR; keep it on a private tmpfs (own mount
# namespace, vanishes with the process) instead of on disk.
mkdir -p "$WORK/mem"
setsid timeout -k 10 "$TMO" unshare -m --propagation private sh -c '
  mount -t tmpfs tmpfs "$1" && export TMPDIR="$1" && shift && exec "$@"' sh "$WORK/mem" \
  "$UML" mem="$MEM" umid="lab$$" uml_dir="$WORK/" rootfstype=hostfs rootflags=/ ro \
  init="$WORK/init" con0=fd:0,fd:1 con=null ssl=null loglevel=2 </dev/null 2>"$WORK/uml.log" &
UPID=$!
set +e; wait "$UPID"; urc=$?; set -e
UPID=
if [ "$urc" = 124 ] || [ "$urc" = 137 ]; then echo "uml-run.sh: timeout after ${TMO}s" >&2; exit 124; fi
[ -s "$WORK/rc" ] || { cat "$WORK/uml.log" >&2; echo "uml-run.sh: guest did not finish (uml rc=$urc)" >&2; exit 125; }
exit "$(cat "$WORK/rc")"
