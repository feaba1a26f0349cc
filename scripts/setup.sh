#!/usr/bin/env bash
# Installs the Debian packages Ward needs to build and test (idempotent; needs root or sudo).
#   libsqlite3-dev  SQLite for GRDB (the policy stores)
#   libssl-dev      the system libcrypto (OpenSSL 3) behind Transforms; pkg-config finds it
#   python3-scapy   scapy's IPsec layer, the independent ESP/AH oracle of the ESP tests
#   tshark          Wireshark's dissectors, the ESP capture oracle of the ESP tests
#   user-mode-linux a full Linux kernel as a process: the kernel ESP/AH oracle (this host's
#   kmod            kernel may lack ESP); modprobe inside that guest
#   iputils-ping    ping, the traffic of the kernel interop test
#   sqlite3         the sqlite3 CLI, used by tests to craft foreign and future-schema files
#   util-linux      unshare, used by the read-only store test when running as root
#   bc              arithmetic in the benchmark script
#   strongswan-charon, strongswan-swanctl, libcharon-extra-plugins (kernel-libipsec),
#   libstrongswan-standard-plugins (openssl): strongSwan's charon, the IKEv1 interop peer
#   iperf3          TCP throughput in the datapath benchmarks (scripts/bench-datapath.sh, bench-kernel.sh)
#   tcpdump         captures inside the user-mode Linux guest (Tests/Agent/kernel-agent.sh: tshark starts slowly there)
#   nftables        wardd's packet steering, and the NAT router of the NAT-traversal cases
#   strongswan-pki  strongSwan's `pki`: the CAs, host certificates and CRLs of the certificate tests
#   libldap-dev, libsasl2-dev, libsasl2-modules-gssapi-mit: OpenLDAP's client with SASL GSSAPI
#                   (MIT Kerberos), the domain store's directory client
#   samba, samba-ad-dc, samba-ad-provision, samba-dsdb-modules, python3-samba, winbind: a real
#                   Active Directory domain controller for the domain store tests
#   krb5-user, ldap-utils, smbclient, xxd: kinit, ldapsearch/ldapmodify, SYSVOL, blob editing in those tests
#   libkrb5-dev     MIT Kerberos' GSS-API (gssapi_krb5), behind Kerberos authentication in IKE
#   faketime        libfaketime: a wardd whose clock is skewed past the KDC's tolerance, in the Kerberos tests
#   libjs-chart.js  Chart.js, which wardd's console serves for its plots (nothing is fetched from the network)
#   chromium, chromium-driver, python3-selenium: headless Chromium driving the console in its tests
#   python3-prometheus-client: Prometheus' own text-format parser, the oracle of the /metrics test
#   curl            the console's access tests (tokens, CSRF, TLS)
#   patchelf        scripts/uml-kernel.sh: a user-mode Linux kernel that boots where Debian 12's cannot
set -euo pipefail
packages=(libsqlite3-dev libssl-dev pkg-config python3-scapy tshark user-mode-linux kmod iputils-ping iproute2 sqlite3 util-linux bc
          strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins nftables iperf3 tcpdump
          strongswan-pki libldap-dev libsasl2-dev libsasl2-modules-gssapi-mit samba samba-ad-dc samba-ad-provision
          samba-dsdb-modules python3-samba winbind krb5-user ldap-utils smbclient xxd
          libkrb5-dev faketime libjs-chart.js chromium chromium-driver python3-selenium python3-prometheus-client curl patchelf)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # tshark asks whether non-root users may capture: answer no, without a prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
# The kernel tests' user-mode Linux guest: Debian's kernel, or one that boots on this host.
sudo_root=""; [ "$(id -u)" -eq 0 ] || sudo_root="sudo"
$sudo_root "$(dirname "$0")/uml-kernel.sh" || echo "warning: no user-mode Linux kernel boots here; the kernel tests will fail" >&2
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    echo "note: swift is at /opt/swift/usr/bin; add it to PATH" >&2
fi
