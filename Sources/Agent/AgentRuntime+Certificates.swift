import Certificates
import Foundation
import IKE

extension AgentRuntime {
    /// Reads the certificate store again when it changed (`ward certificate import`, a CRL
    /// dropped in) or `strongcrlcheck` did, and hands it to IKE's policy. Cheap when nothing
    /// changed: a few `stat` calls. Files that do not read are logged and skipped; the rest of
    /// the store still counts.
    func refreshCertificates() {
        let store = CertificateFileStore(directory: configuration.certificatePath)
        fetchRevocationLists()
        let generation = store.generation()
        guard certificateState?.generation != generation || certificateState?.crlCheck != settings.strongcrlcheck else { return }
        certificateState = (generation, settings.strongcrlcheck)
        let inventory = store.load()
        for problem in inventory.problems { log(.warning, "certificate store", ["problem": problem]) }
        policyProvider.certificates = CertificateSettings(inventory: inventory,
                                                          revocationCheck: RevocationCheck(rawValue: settings.strongcrlcheck) ?? .revokedOnly)
        log(.info, "certificates loaded", ["certificates": inventory.certificates.count, "keys": inventory.certificates.filter { $0.key != nil }.count,
                                          "crls": inventory.revocationLists.count, "certmap": inventory.mappings.count,
                                          "strongcrlcheck": settings.strongcrlcheck])
    }

    /// Hands IKE's wanted CRL URLs to the fetcher and logs what it fetched.
    func fetchRevocationLists() {
        for result in crlFetcher.takeResults() {
            log(result.fetched ? .notice : .warning, result.fetched ? "CRL fetched" : "CRL fetch failed", ["url": result.url, "result": result.outcome])
        }
        let wanted = engine.takeWantedRevocationLists()
        if !wanted.isEmpty { crlFetcher.fetch(wanted, now: now) }
    }
}
