#!/usr/bin/env bash
# Makes sure the kernel tests have a user-mode Linux kernel that boots on this host
# (scripts/setup.sh runs it; idempotent; needs root).
#
# Debian 12's user-mode-linux (6.1) — and Debian 13's (6.12) — cannot start a guest's init on
# hosts whose CPUs have AMX (seen here: Xeon with amx_tile, host kernel 6.18): the guest panics
# at once with "userspace - ptrace set fp regs failed, errno = 14", because the host kernel
# accepts an NT_X86_XSTATE register set only of its full XSAVE size and those kernels pass a
# shorter one. When Debian's kernel fails that probe, this fetches Debian unstable's
# user-mode-linux (7.x, which sizes it right) and the C library it was built against into
# $WARD_UML_DIR (default /var/lib/ward-lab/uml), with its program interpreter pointed at that
# library (patchelf), and probes it. Tests/Kernel/uml-run.sh prefers that kernel when present.
set -euo pipefail
dir=${WARD_UML_DIR:-/var/lib/ward-lab/uml}

# probe KERNEL: whether it boots to its init (init=/bin/true; the guest then panics with exit
# code 0, which is the sign that userspace ran).
probe() {
  local kernel=$1 scratch status
  [ -x "$kernel" ] || return 1
  scratch=$(mktemp -d /tmp/ward-uml-probe.XXXXXX)
  mkdir -p "$scratch/mem"
  set +e
  # (The guest's panic aborts the kernel process: run it under sh, which does not report that.)
  sh -c 'unshare -m --propagation private sh -c '\''mount -t tmpfs tmpfs "$1/mem" && TMPDIR="$1/mem" exec timeout 30 "$2" mem=128M \
      umid="probe$$" uml_dir="$1/" rootfstype=hostfs rootflags=/ ro init=/bin/true con0=fd:0,fd:1 con=null'\'' sh "$1" "$2"; true' \
    sh "$scratch" "$kernel" < /dev/null > "$scratch/console" 2>&1
  grep -q "exitcode=0x00000000" "$scratch/console"; status=$?
  set -e
  [ $status = 0 ] || grep -m1 -E "userspace - |[Pp]anic" "$scratch/console" > "$scratch/why" 2>/dev/null || true
  last_failure=$(cat "$scratch/why" 2>/dev/null || true)
  rm -rf "$scratch"
  return $status
}

if probe /usr/bin/linux.uml; then
  echo "uml: Debian's /usr/bin/linux.uml boots on this host"
  exit 0
fi
debian_failure=$last_failure
if probe "$dir/linux.uml"; then
  echo "uml: $dir/linux.uml ($(cat "$dir/version")) boots on this host; Debian's does not ($debian_failure)"
  exit 0
fi
echo "uml: /usr/bin/linux.uml cannot start a guest here ($debian_failure); fetching Debian unstable's user-mode-linux into $dir"
command -v patchelf > /dev/null || { echo "uml: patchelf is missing (scripts/setup.sh installs it)" >&2; exit 1; }
rm -rf "$dir"; mkdir -p "$dir/apt/lists/partial" "$dir/apt/archives/partial"
echo "deb http://deb.debian.org/debian sid main" > "$dir/apt/sources.list"
apt_private() {
  apt-get -q -o Dir::Etc::sourcelist="$dir/apt/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::lists="$dir/apt/lists" \
    -o Dir::Cache::archives="$dir/apt/archives" -o APT::Sandbox::User=root "$@"
}
apt_private update > "$dir/apt/update.log" 2>&1 || { tail -3 "$dir/apt/update.log" >&2; exit 1; }
(cd "$dir/apt" && apt_private download user-mode-linux libc6 > download.log 2>&1) || { tail -3 "$dir/apt/download.log" >&2; exit 1; }
dpkg-deb -x "$dir"/apt/user-mode-linux_*.deb "$dir/package"
dpkg-deb -x "$dir"/apt/libc6_*.deb "$dir/libc"
cp "$dir/package/usr/bin/linux.uml" "$dir/linux.uml"
patchelf --set-interpreter "$dir/libc/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --set-rpath "$dir/libc/usr/lib/x86_64-linux-gnu" "$dir/linux.uml"
ln -s package/usr/lib/uml/modules "$dir/modules"
basename "$dir"/apt/user-mode-linux_*.deb .deb > "$dir/version"
rm -rf "$dir/apt/archives" "$dir/apt/lists"
if probe "$dir/linux.uml"; then
  echo "uml: $(cat "$dir/version") boots on this host"
else
  echo "uml: $(cat "$dir/version") does not boot here either ($last_failure): the kernel tests will fail" >&2
  exit 1
fi
