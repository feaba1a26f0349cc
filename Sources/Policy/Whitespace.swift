extension StringProtocol {
    /// The text without leading and trailing blanks (spaces and tabs). Pure Swift: netsh lines
    /// and names are trimmed for every command, and Foundation's NSString bridge is slow on Linux.
    public var trimmingBlanks: Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return Substring()
        }
        return Substring(self[first...last])
    }
}
