import COpenSSL

/// Fills buffers from libcrypto's DRBG (RAND_bytes): a userspace generator, seeded from the
/// kernel, cheap enough for a fresh CBC IV on every packet.
public enum RandomBytes {
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(TransformError) {
        guard buffer.count > 0 else { return }
        guard RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)) == 1 else {
            throw .fromLibcrypto("RAND_bytes")
        }
    }
}
