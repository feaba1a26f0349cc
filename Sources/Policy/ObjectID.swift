import Foundation

extension UUID {
    /// A random (version 4) UUID from the system generator.
    ///
    /// Policy objects get their GUIDs here rather than from `UUID()`, which on Linux opens and
    /// reads /dev/urandom for every id; the system generator uses getrandom(2). Code that needs
    /// reproducible ids passes its own generator to `UUID.random(using:)`.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }
}
