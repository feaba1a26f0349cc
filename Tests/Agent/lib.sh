# Shared by the agent test scripts (sourced): check reporting and namespace plumbing. Each
# script stays runnable alone, and inside the user-mode Linux guest, next to this file.

# A check prints "PASS name" or "FAIL name: why" and counts failures (the exit status).
failures=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }

# COMMAND | has PATTERN: whether the output holds PATTERN. It reads all of its input first:
# `grep -q` would stop at the first match, and under pipefail the writer's SIGPIPE would then
# fail a check that matched.
has() { local text; text=$(cat); grep -q -- "$1" <<<"$text"; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# two_hosts NS_A IF_A ADDR_A NS_B IF_B ADDR_B: two namespaces with loopback up, joined by a
# veth pair whose ends carry the given addresses (CIDR).
two_hosts() {
  local ns
  for ns in "$1" "$4"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"; ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
}

# remove_namespaces NS...: end every process left in each namespace, then delete it (processes
# first: once the namespace is gone they can no longer be found by it).
remove_namespaces() {
  local ns
  for ns in "$@"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}
