import Foundation

/// Text layout primitives for `show`: netsh's "Label : value" lists and column tables.
public struct ShowLayout {
    public static let labelWidth = 24

    /// `Label                   : value`, continuation lines aligned under the value. `indent`
    /// spaces go in front (nested blocks), and the colon stands at `width` (from the margin).
    public static func field(_ label: String, _ value: String, indent: Int = 0, width: Int = labelWidth) -> String {
        let padded = String(repeating: " ", count: indent)
            + label.padding(toLength: max(width - indent, label.count), withPad: " ", startingAt: 0)
        let lines = value.split(separator: "\n", omittingEmptySubsequences: false)
        let indent = String(repeating: " ", count: padded.count + 2)
        let head = lines.first.map { $0.isEmpty ? "\(padded):" : "\(padded): \($0)" } ?? "\(padded):"
        return head + lines.dropFirst().map { "\n\(indent)\($0)" }.joined()
    }

    /// A title over a rule of dashes as long as it (the `ipsec dynamic show` views).
    public static func title(_ text: String) -> String { text + "\n" + String(repeating: "-", count: text.count) }

    static func fields(_ pairs: [(String, String)]) -> String {
        pairs.map { field($0.0, $0.1) }.joined(separator: "\n")
    }

    static func yesNo(_ value: Bool) -> String { value ? "YES" : "NO" }

    /// A table with a header rule. Without `wide`, cells longer than their column's limit are
    /// cut and end in `...`.
    static func table(_ header: [String], _ rows: [[String]], limits: [Int], wide: Bool) -> String {
        let cells = rows.map { row in
            row.enumerated().map { index, cell in
                let limit = limits[index]
                if wide || cell.count <= limit { return cell }
                return String(cell.prefix(max(limit - 3, 1))) + "..."
            }
        }
        var widths = header.map(\.count)
        for row in cells { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ row: [String]) -> String {
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingTrailingBlanks()
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + cells.map(line)).joined(separator: "\n")
    }

    /// UTC, to the second: stable across machines and time zones.
    static func time(_ date: Date) -> String {
        let parts = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) UTC"
    }

    static func guid(_ id: UUID) -> String { "{\(id.uuidString)}" }
}

extension String {
    func trimmingTrailingBlanks() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

extension Calendar {
    /// Gregorian in UTC: `show` prints times the same on every machine.
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
