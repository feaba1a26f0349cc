import ESP
import Packet
import Transforms

/// The inbound SAs every input is tried against: with integrity the fuzzer exercises header,
/// length and SPI parsing; AES-CBC without integrity lets arbitrary bytes reach decryption,
/// the trailer checks and the inner-packet checks of tunnel mode.
nonisolated(unsafe) let database: SecurityAssociationDatabase = {
    let sad = SecurityAssociationDatabase()
    let v4 = IPAddress("10.77.2.2")!, v6 = IPAddress("fd77::2")!
    func add(_ spi: UInt32, _ securityProtocol: IPsecProtocol, _ destination: IPAddress, _ mode: IPsecMode,
             _ encryption: EncryptionAlgorithm?, _ integrity: IntegrityAlgorithm?, udp: Bool = false, esn: Bool = false) {
        let parameters = SAParameters(spi: spi, securityProtocol: securityProtocol, mode: mode, destination: destination,
                                      encryption: encryption, encryptionKey: [UInt8](repeating: 1, count: encryption?.keyMaterialLength ?? 0),
                                      integrity: integrity, integrityKey: [UInt8](repeating: 2, count: integrity?.keyLength ?? 0),
                                      extendedSequenceNumbers: esn, replayWindow: 256, udpEncapsulation: udp ? (4500, 4500) : nil)
        sad.add(inbound: try! SecurityAssociation(parameters, now: 0))
    }
    let tunnel4 = IPsecMode.tunnel(source: IPAddress("10.77.1.1")!, destination: v4)
    let tunnel6 = IPsecMode.tunnel(source: IPAddress("fd77::1")!, destination: v6)
    for destination in [v4, v6] {
        add(1, .esp, destination, .transport, .aesCBC(keyBits: 128), nil)
        add(2, .esp, destination, destination.isIPv4 ? tunnel4 : tunnel6, .aesCBC(keyBits: 128), nil)
        add(3, .esp, destination, .transport, .aesGCM16(keyBits: 128), nil, esn: true)
        add(4, .esp, destination, .transport, .null, .hmacSHA1_96)
        add(5, .ah, destination, .transport, nil, .hmacSHA256_128)
        add(6, .esp, destination, .transport, .aesCBC(keyBits: 128), nil, udp: true)
        add(7, .esp, destination, destination.isIPv4 ? tunnel4 : tunnel6, .null, .hmacMD5_96)
    }
    return sad
}()

nonisolated(unsafe) let buffer = PacketBuffer()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard (try? buffer.load(bytes)) != nil else { return 0 }
    let before = buffer.count
    do {
        let result = try database.decapsulate(buffer, now: 1)
        // Whatever came out must lie within what went in.
        if case .packet = result { precondition(buffer.count <= before) }
    } catch {
        _ = error.description  // every error can describe itself
    }
    return 0
}
