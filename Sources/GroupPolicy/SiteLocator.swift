import DomainPolicy
import Packet

/// The computer's site: the site of the most specific subnet object (`CN=<prefix>,CN=Subnets,
/// CN=Sites,<configuration>`, attribute `siteObject`) that holds one of its addresses, as a
/// domain controller answers DsrGetSiteName ([MS-NRPC] §3.5.4.3.6, which [MS-GPOL] §3.2.5.1.4
/// calls). No subnet matches: no site, and no site GPOs.
public enum SiteLocator {
    /// - Parameter subnets: the subnet objects (`cn` is the prefix, `siteObject` the site DN).
    public static func site(for addresses: [IPAddress], subnets: [DirectoryEntry]) -> String? {
        var best: (length: Int, site: String)?
        for entry in subnets {
            let name = entry.string("cn") ?? String(entry.dn.prefix { $0 != "," }.dropFirst(3))
            guard let subnet = Subnet(name), let site = entry.string("siteObject") else { continue }
            guard addresses.contains(where: { subnet.contains($0) }) else { continue }
            if best == nil || subnet.prefixLength > best!.length { best = (subnet.prefixLength, site) }
        }
        return best?.site
    }
}
