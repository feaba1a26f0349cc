/// RFC 2410 NULL encryption: the payload stays as it is; ESP still pads to 4 bytes.
final class NullCipher: Cipher {
    var ivSize: Int { 0 }
    var blockSize: Int { 4 }
    func encrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError) {}
    func decrypt(_ data: UnsafeMutableRawBufferPointer, iv: UnsafeRawBufferPointer) throws(TransformError) {}
}
