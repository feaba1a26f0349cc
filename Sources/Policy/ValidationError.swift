import Foundation

/// A policy object that breaks a rule of the model.
///
/// The message always names the object (kind and name), the field (as its netsh tag) and what
/// is allowed, so a one-line error tells an administrator exactly what to fix.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The object, e.g. `filter action 'Require Security'`; empty for a bare value.
    public var object: String
    /// The netsh tag of the offending field, e.g. `qmsecmethods`.
    public var field: String
    /// What is wrong and what is allowed.
    public var message: String

    public init(object: String = "", field: String, _ message: String) {
        self.object = object
        self.field = field
        self.message = message
    }

    /// The same error attributed to `object`.
    public func on(_ object: String) -> ValidationError {
        ValidationError(object: object, field: field, message)
    }

    public var description: String {
        object.isEmpty ? "\(field): \(message)" : "\(object): \(field): \(message)"
    }
}

/// Object names: the primary keys of netsh commands.
public enum ObjectName {
    /// Names are compared case-insensitively, as netsh keywords are.
    public static func key(_ name: String) -> String { name.lowercased() }

    /// A name is non-empty, at most 256 characters, has no control characters or double quotes,
    /// and is not the keyword `all` (which the delete and show commands reserve).
    public static func validate(_ name: String, field: String = "name") throws(ValidationError) {
        if name.trimmingBlanks.isEmpty {
            throw ValidationError(field: field, "must not be empty")
        }
        if name.count > 256 {
            throw ValidationError(field: field, "is \(name.count) characters long; at most 256 are allowed")
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) }) {
            throw ValidationError(field: field, "must not contain control characters")
        }
        if name.contains(Character("\"")) {
            throw ValidationError(field: field, "must not contain a double quote (netsh cannot quote it)")
        }
        if name.lowercased() == "all" {
            throw ValidationError(field: field, "'all' is reserved (it means every object in delete and show)")
        }
    }
}
