import Certificates
import Dispatch
import Foundation
import Platform

/// Fetches CRLs from the distribution points IKE asked for, off the agent's loop, and puts
/// each one that reads as a CRL into the certificate store — the store's change makes the
/// agent reload it, and the next negotiation checks revocation with it. A URL is tried at most
/// once a minute; results are collected for the loop to log.
final class RevocationListFetcher: @unchecked Sendable {
    private let store: CertificateFileStore
    private let queue = DispatchQueue(label: "ward.crl-fetch", qos: .utility)
    private let lock = NSLock()
    private var lastTried: [String: Double] = [:]
    private var results: [(url: String, outcome: String, fetched: Bool)] = []

    init(store: CertificateFileStore) { self.store = store }

    /// Queues the URLs not tried in the last minute (`now`: the agent's clock).
    func fetch(_ urls: [String], now: Double) {
        for url in urls {
            if let last = lastTried[url], now - last < 60 { continue }
            lastTried[url] = now
            queue.async { [store] in
                let outcome: (String, Bool)
                do {
                    let body = try HTTPFetch.get(url)
                    let list = try RevocationList(bytes: body)
                    _ = try store.importFiles([(url, body)])
                    outcome = ("CRL of \(list.issuer), \(list.revoked.count) revoked", true)
                } catch {
                    outcome = ("\(error)", false)
                }
                self.lock.lock()
                self.results.append((url, outcome.0, outcome.1))
                self.lock.unlock()
            }
        }
    }

    /// What finished since the last call.
    func takeResults() -> [(url: String, outcome: String, fetched: Bool)] {
        lock.lock()
        defer { lock.unlock() }
        let done = results
        results = []
        return done
    }
}
