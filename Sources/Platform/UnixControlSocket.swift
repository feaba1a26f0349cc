import Foundation

/// The control socket: a Unix stream socket that only root may connect to — the file is mode
/// 0600 in a 0700 directory, and every connection's credentials (SO_PEERCRED) are checked too,
/// so a socket file with loosened permissions still refuses other users.
///
/// One request per connection: the client writes one line (at most `maxRequest` bytes) and
/// reads the answer until the server closes. Connections are served one at a time, each
/// bounded by a receive timeout, so a silent client cannot stall the agent for long.
public final class UnixControlSocket {
    public let path: String
    public let descriptor: Int32
    public var maxRequest = 64 * 1024

    public init(path: String) throws(SocketError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        unlink(path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError("socket AF_UNIX") }
        let previous = umask(0o077)
        defer { umask(previous) }
        let bound = Self.withAddress(path) { bind(descriptor, $0, $1) }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            let error = SocketError("bind \(path)")
            close(descriptor)
            throw error
        }
        chmod(path, 0o600)
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// A waiting connection's request, or nil when none waits. Connections from a user other
    /// than root are answered with `refusal` and closed.
    public func accept(refusal: String) -> ControlConnection? {
        let client = Glibc.accept(descriptor, nil, nil)
        guard client >= 0 else { return nil }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        let isRoot = getsockopt(client, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 && credentials.uid == 0
        var request = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while request.count <= maxRequest, !request.contains(UInt8(ascii: "\n")) {
            let count = read(client, &chunk, chunk.count)
            guard count > 0 else { break }
            request.append(contentsOf: chunk[0..<count])
        }
        // The request is read before a refusal too: closing on unread bytes would reset the
        // connection and the client would never see why.
        guard isRoot else {
            ControlConnection(descriptor: client, request: Data()).respond(refusal)
            return nil
        }
        return ControlConnection(descriptor: client, request: request.count > maxRequest ? Data() : request)
    }

    static func withAddress<Result>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.utf8.prefix(bytes.count - 1).enumerated() { bytes[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// A client's side: sends `request` (one line) to the socket at `path` and returns the answer.
    public static func exchange(path: String, request: String, timeout: Int = 30) throws(SocketError) -> String {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError("socket AF_UNIX") }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard withAddress(path, { connect(descriptor, $0, $1) }) == 0 else { throw SocketError("connect \(path)") }
        let line = Array((request + "\n").utf8)
        guard send(descriptor, line, line.count, Int32(MSG_NOSIGNAL)) == line.count else { throw SocketError("write \(path)") }
        var answer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 { throw SocketError("read \(path)") }
            if count == 0 { break }
            answer.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: answer, as: UTF8.self)
    }
}

/// `struct ucred` (<sys/socket.h>, visible to Swift only with _GNU_SOURCE): SO_PEERCRED's answer.
private struct PeerCredentials {
    var pid: pid_t = 0
    var uid: uid_t = .max
    var gid: gid_t = .max
}

/// One accepted request: its bytes, and a way to answer and close.
public final class ControlConnection {
    let descriptor: Int32
    public let request: Data

    init(descriptor: Int32, request: Data) {
        self.descriptor = descriptor
        self.request = request
    }

    /// Writes the answer and closes the connection.
    public func respond(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { break }
            offset += written
        }
        close(descriptor)
    }
}
