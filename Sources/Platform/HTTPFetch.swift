import Foundation

/// A plain HTTP/1.0 GET, for CRL distribution points (RFC 5280 §4.2.1.13 names HTTP and LDAP;
/// CRLs are signed, so no TLS is needed). Bounded in time and size; blocking, so callers run
/// it off the agent's loop.
public enum HTTPFetch {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The body of `url` (`http://host[:port]/path`) when the answer is 200, within
    /// `timeout` seconds for each step and at most `limit` bytes.
    public static func get(_ url: String, timeout: Double = 5, limit: Int = 1 << 20) throws(Failure) -> [UInt8] {
        guard url.lowercased().hasPrefix("http://") else { throw Failure(description: "\(url): only http:// is fetched") }
        let rest = url.dropFirst(7)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count).isEmpty ? "/" : String(rest.dropFirst(authority.count))
        var host = String(authority), port = "80"
        if host.hasPrefix("[") , let close = host.firstIndex(of: "]") {  // [IPv6]:port
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            port = String(host[host.index(after: colon)...])
            host = String(host[..<colon])
        }
        guard !host.isEmpty, UInt16(port) != nil, !path.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) else {
            throw Failure(description: "\(url): not a usable http URL")
        }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &list) == 0, let first = list else { throw Failure(description: "\(url): \(host) does not resolve") }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "\(url): no socket") }
        defer { close(fd) }
        func wait(_ events: Int32) throws(Failure) {
            var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
            guard poll(&descriptor, 1, Int32(timeout * 1000)) == 1 else { throw Failure(description: "\(url): no answer within \(timeout) s") }
        }
        if connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw Failure(description: "\(url): connect: \(String(cString: strerror(errno)))") }
            try wait(POLLOUT)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw Failure(description: "\(url): connect: \(String(cString: strerror(error)))") }
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(authority)\r\nUser-Agent: wardd\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            try wait(POLLOUT)
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "\(url): send failed") }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            try wait(POLLIN)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { break }
            guard n > 0 else {
                if errno == EAGAIN || errno == EINTR { continue }
                throw Failure(description: "\(url): receive failed")
            }
            response += chunk[0..<n]
            guard response.count <= limit + 16_384 else { throw Failure(description: "\(url): larger than \(limit) bytes") }
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let split = (0..<max(0, response.count - 3)).first(where: { Array(response[$0..<$0 + 4]) == separator }) else {
            throw Failure(description: "\(url): not an HTTP response")
        }
        let status = String(decoding: response[..<split], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let fields = status.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/1."), fields[1] == "200" else { throw Failure(description: "\(url): answered \(status)") }
        let body = Array(response[(split + 4)...])
        guard body.count <= limit else { throw Failure(description: "\(url): larger than \(limit) bytes") }
        return body
    }
}
