import Foundation
import Filtering

/// The `ipsec dynamic set config` properties (reference c.6), kept in a root-only JSON file so
/// they survive restarts, as Windows keeps them in the registry. `ipsecexempt`, `bootmode` and
/// `bootexemptions` take effect at the next start of the agent; the others at once.
public struct AgentSettings: Codable, Equatable, Sendable {
    public var ipsecdiagnostics = 0
    public var ikelogging = 0
    public var strongcrlcheck = 1
    public var ipsecloginterval = 3600
    public var ipsecexempt = 3
    public var bootmode = "stateful"
    public var bootexemptions = "none"

    public init() {}

    /// The properties in the order netsh prints them, with the values.
    public var named: [(String, String)] {
        [("ipsecdiagnostics", String(ipsecdiagnostics)), ("ikelogging", String(ikelogging)), ("strongcrlcheck", String(strongcrlcheck)),
         ("ipsecloginterval", String(ipsecloginterval)), ("ipsecexempt", String(ipsecexempt)), ("bootmode", bootmode),
         ("bootexemptions", bootexemptions)]
    }

    /// Properties whose new value applies only after a restart (reference c.6, c.7).
    public static let restartRequired: Set<String> = ["ipsecexempt", "bootmode", "bootexemptions"]

    /// Sets one property after checking its value; the error names the property and the range.
    public mutating func set(_ property: String, _ value: String) throws(SettingError) {
        func integer(_ range: ClosedRange<Int>) throws(SettingError) -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw SettingError("property \(property): '\(value)' is out of range; allowed \(range.lowerBound)-\(range.upperBound)")
            }
            return number
        }
        switch property.lowercased() {
        case "ipsecdiagnostics": ipsecdiagnostics = try integer(0...7)
        case "ikelogging": ikelogging = try integer(0...1)
        case "strongcrlcheck": strongcrlcheck = try integer(0...2)
        case "ipsecloginterval": ipsecloginterval = try integer(60...86_400)
        case "ipsecexempt": ipsecexempt = try integer(0...3)
        case "bootmode":
            let mode = value.lowercased()
            guard ["stateful", "block", "permit"].contains(mode) else {
                throw SettingError("property bootmode: '\(value)' is not stateful, block or permit")
            }
            bootmode = mode
        case "bootexemptions":
            bootexemptions = try Self.checkedBootExemptions(value)
        default:
            throw SettingError("property: '\(property)' is not one of ipsecdiagnostics, ikelogging, strongcrlcheck, ipsecloginterval, ipsecexempt, bootmode, bootexemptions")
        }
    }

    /// `none`, or space-separated `protocol:srcport:dstport:direction` entries.
    static func checkedBootExemptions(_ value: String) throws(SettingError) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "none" || trimmed.isEmpty { return "none" }
        for (index, entry) in trimmed.split(separator: " ").enumerated() {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let place = "property bootexemptions: entry \(index + 1) '\(entry)'"
            guard parts.count == 4 else { throw SettingError("\(place) is not protocol:srcport:dstport:direction") }
            let protocols = ["icmp", "tcp", "udp", "raw"]
            guard protocols.contains(parts[0].lowercased()) || UInt8(parts[0]) != nil else {
                throw SettingError("\(place): protocol '\(parts[0])' is not ICMP, TCP, UDP, RAW or 0-255")
            }
            for (slot, port) in [("source port", parts[1]), ("destination port", parts[2])] where UInt16(port) == nil {
                throw SettingError("\(place): \(slot) '\(port)' is not 0-65535")
            }
            guard ["inbound", "outbound"].contains(parts[3].lowercased()) else {
                throw SettingError("\(place): direction '\(parts[3])' is not inbound or outbound")
            }
        }
        return trimmed
    }

    /// `bootmode` and `bootexemptions` for the boot-time filter; a stored value that does not
    /// parse is an error naming it (the filter is not guessed).
    public func bootFilter() throws -> (BootMode, [BootExemption]) {
        guard let mode = BootMode(rawValue: bootmode.lowercased()) else {
            throw SettingError("property bootmode: '\(bootmode)' is not stateful, block or permit")
        }
        if bootexemptions.lowercased() == "none" { return (mode, []) }
        return (mode, try bootexemptions.split(separator: " ").map { try BootExemption(netsh: String($0)) })
    }

    /// The saved settings, or the defaults when the file is missing or unreadable.
    public static func load(path: String) -> AgentSettings {
        guard let data = FileManager.default.contents(atPath: path), let settings = try? JSONDecoder().decode(AgentSettings.self, from: data) else {
            return AgentSettings()
        }
        return settings
    }

    /// Writes the settings atomically, mode 0600.
    func save(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: try encoder.encode(self), attributes: [.posixPermissions: 0o600]) else {
            throw SettingError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw SettingError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))") }
    }
}

/// A `set config` value that was refused, or a settings file that could not be written.
public struct SettingError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
