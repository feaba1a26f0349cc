import Policy
import PolicyStore

/// A command that could not be carried out. Its message is one line naming the culprit: the
/// command, tag, value, object or file position.
public struct NetshError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public init(_ error: StoreError) { message = error.description }

    public init(_ error: ValidationError) { message = error.description }

    public var description: String { message }

    /// Wraps any error from lower layers into one line.
    static func wrap(_ error: any Error) -> NetshError {
        switch error {
        case let error as NetshError: error
        case let error as StoreError: NetshError(error)
        case let error as ValidationError: NetshError(error)
        default: NetshError("\(error)")
        }
    }
}
