import Foundation

/// The console's tokens and address on disk, beside the control socket and as private: files
/// of mode 0600 in a root-only directory. wardd writes them at start (`write`); `ward console
/// url` reads them (`read`) to print a login URL.
public struct ConsoleCredentials: Sendable, Equatable {
    /// `http://127.0.0.1:8843`, or `https://…` when the console serves TLS.
    public var baseURL: String
    /// The TLS certificate's SHA-256 fingerprint (colon-separated hex), to compare with what a
    /// browser shows; nil without TLS.
    public var fingerprint: String?
    public var administratorToken: String
    public var readOnlyToken: String

    public init(baseURL: String, fingerprint: String?, administratorToken: String, readOnlyToken: String) {
        self.baseURL = baseURL
        self.fingerprint = fingerprint
        self.administratorToken = administratorToken
        self.readOnlyToken = readOnlyToken
    }

    static let administratorFile = "console.token", readOnlyFile = "console-readonly.token", addressFile = "console.url"

    /// The login URL for a role (the page moves the token into a cookie and off the address bar).
    public func loginURL(readOnly: Bool) -> String {
        baseURL + "/login?token=" + (readOnly ? readOnlyToken : administratorToken)
    }

    /// Writes the three files (0600), replacing earlier ones.
    public func write(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let address = baseURL + "\n" + (fingerprint.map { "sha256 " + $0 + "\n" } ?? "")
        for (name, text) in [(Self.administratorFile, administratorToken + "\n"), (Self.readOnlyFile, readOnlyToken + "\n"), (Self.addressFile, address)] {
            let path = directory + "/" + name
            let temporary = path + ".new"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ConsoleError("cannot write \(temporary)")
            }
            guard rename(temporary, path) == 0 else { throw ConsoleError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))") }
        }
    }

    /// Reads what wardd wrote; the error names the file that is missing or unreadable.
    public static func read(directory: String) throws -> ConsoleCredentials {
        func file(_ name: String) throws -> String {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ConsoleError("\(path) cannot be read: is wardd running with --console, and are you root?")
            }
            return text
        }
        let address = try file(addressFile).split(separator: "\n").map(String.init)
        guard let base = address.first, base.hasPrefix("http") else { throw ConsoleError("\(directory)/\(addressFile): no URL on its first line") }
        let fingerprint = address.dropFirst().first { $0.hasPrefix("sha256 ") }.map { String($0.dropFirst(7)) }
        return ConsoleCredentials(baseURL: base, fingerprint: fingerprint,
                                  administratorToken: try file(administratorFile).trimmingCharacters(in: .whitespacesAndNewlines),
                                  readOnlyToken: try file(readOnlyFile).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Removes the files (wardd, when it stops).
    public static func remove(directory: String) {
        for name in [administratorFile, readOnlyFile, addressFile] { unlink(directory + "/" + name) }
    }
}

/// A console failure, in one line.
public struct ConsoleError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
