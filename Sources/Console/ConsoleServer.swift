import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Monitor
import NIOCore
import NIOSSL
import Packet

/// `wardd --console ADDRESS:PORT`: the web console and `/metrics`, served by Hummingbird on
/// SwiftNIO's threads — never on the agent's loop, which only hands `MonitorState` a snapshot
/// a second.
///
/// Plain HTTP on loopback; anywhere else TLS with the self-signed certificate of
/// `ConsoleCertificate`. The tokens and the URL go to root-only files beside the control socket
/// (`ConsoleCredentials`) for `ward console url`.
public final class ConsoleServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Where the tokens and the URL are written (the control socket's directory).
        public var credentialDirectory: String
        /// Where the TLS certificate and key are kept (off loopback only).
        public var certificateDirectory: String
        public var storePath: String
        public var socketPath: String

        /// `127.0.0.1:8843`, `[::1]:8843`, `10.77.0.1:8843`; the error names what is wrong.
        public init(listen: String, credentialDirectory: String, certificateDirectory: String, storePath: String, socketPath: String) throws {
            let host: Substring, port: Substring
            if listen.hasPrefix("["), let close = listen.firstIndex(of: "]") {
                host = listen[listen.index(after: listen.startIndex)..<close]
                port = listen[close...].dropFirst().drop { $0 == ":" }
            } else if let colon = listen.lastIndex(of: ":") {
                host = listen[..<colon]
                port = listen[listen.index(after: colon)...]
            } else {
                throw ConsoleError("--console: '\(listen)' is not ADDRESS:PORT (e.g. 127.0.0.1:8843)")
            }
            guard IPAddress(host) != nil else { throw ConsoleError("--console: '\(host)' is not an IP address") }
            guard let number = Int(port), (1...65_535).contains(number) else { throw ConsoleError("--console: '\(port)' is not a port 1-65535") }
            self.host = String(host)
            self.port = number
            self.credentialDirectory = credentialDirectory
            self.certificateDirectory = certificateDirectory
            self.storePath = storePath
            self.socketPath = socketPath
        }

        /// Loopback addresses get plain HTTP; every other address TLS.
        public var usesTLS: Bool {
            guard let address = IPAddress(host) else { return true }
            switch address {
            case .v4(let v4): return v4.octets[0] != 127
            case .v6: return address != IPAddress("::1")
            }
        }
    }

    public let configuration: Configuration
    public let state: MonitorState
    public let access: ConsoleAccess
    /// The running server (cancelled by `stop`); set once by `start`.
    private var serving: Task<Void, Never>?
    /// Told each change made (or refused) from the console: the netsh command and its outcome.
    public let audit: @Sendable (_ command: String, _ outcome: String) -> Void

    public init(configuration: Configuration, state: MonitorState, access: ConsoleAccess = .random(),
                audit: @escaping @Sendable (_ command: String, _ outcome: String) -> Void = { _, _ in }) {
        self.configuration = configuration
        self.state = state
        self.access = access
        self.audit = audit
    }

    /// Binds, starts serving in the background and writes the credentials; returns them. Throws
    /// when the address cannot be bound or the certificate cannot be made.
    public func start() throws -> ConsoleCredentials {
        let configuration = configuration
        let scheme = configuration.usesTLS ? "https" : "http"
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: AccessMiddleware(access: access, scheme: scheme))
        ConsoleRoutes(state: state, editor: PolicyEditor(storePath: configuration.storePath, socketPath: configuration.socketPath),
                      access: access, host: ProcessInfo.processInfo.hostName, audit: audit).add(to: router)
        var server: HTTPServerBuilder = .http1(configuration: .init(idleTimeout: .seconds(30)))
        var fingerprint: String?
        if configuration.usesTLS {
            let certificate = try ConsoleCertificate.loadOrCreate(directory: configuration.certificateDirectory, host: configuration.host)
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificatePEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.keyPEM.utf8), format: .pem)))
            server = try .tls(.http1(configuration: .init(idleTimeout: .seconds(30))), tlsConfiguration: tls)
            fingerprint = certificate.fingerprint
        }
        var logger = Logger(label: "ward.console")
        logger.logLevel = .error
        let started = StartSignal()
        let application = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil, backlog: 1_024),
            onServerRunning: { _ in started.finish(nil) }, logger: logger)
        serving = Task.detached {
            do { try await application.run() } catch { started.finish(error) }
        }
        if let failure = started.wait(seconds: 15) { throw ConsoleError("--console: cannot serve on \(configuration.host):\(configuration.port): \(failure)") }
        let hostText = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let credentials = ConsoleCredentials(baseURL: "\(scheme)://\(hostText):\(configuration.port)", fingerprint: fingerprint,
                                             administratorToken: access.administratorToken, readOnlyToken: access.readOnlyToken)
        try credentials.write(directory: configuration.credentialDirectory)
        return credentials
    }
}

extension ConsoleServer {
    /// Stops serving (tests; wardd's console ends with the process).
    public func stop() { serving?.cancel() }
}

/// The first outcome of starting the server: running (nil) or the error that stopped it.
private final class StartSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var outcome: (any Error)??

    func finish(_ error: (any Error)?) {
        condition.lock()
        if outcome == nil { outcome = .some(error) }
        condition.signal()
        condition.unlock()
    }

    /// The error, or nil once running; a start that takes longer than `seconds` is an error.
    func wait(seconds: Double) -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(seconds)
        while outcome == nil {
            if !condition.wait(until: deadline) { return ConsoleError("no answer from the server within \(Int(seconds)) s") }
        }
        return outcome!
    }
}
