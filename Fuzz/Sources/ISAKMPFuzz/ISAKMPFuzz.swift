import IKE

/// Random datagrams into the ISAKMP decoder: it must throw or decode, never trap; whatever it
/// decodes must encode again and decode to the same message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? ISAKMPMessage.decode(bytes) else { return 0 }
    let again = try? ISAKMPMessage.decode(message.encoded())
    precondition(again == message, "decode(encode(m)) != m")
    return 0
}
