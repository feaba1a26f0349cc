import DomainPolicy
import Foundation

/// Random `ipsecData` blobs into the five [MS-GPIPSEC] decoders. The first byte picks the kind
/// (low 3 bits) and whether the rest is taken as a whole blob (bit 7) or as a payload to frame
/// with the kind's type GUID and a true length, so the fuzzer reaches past the header. Every
/// decoder must throw or decode, never trap; whatever decodes must encode and decode the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let selector = data[0]
    var bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let kinds = BlobKind.allCases
    let kind = kinds[Int(selector & 0x7) % kinds.count]
    if selector & 0x80 == 0 {
        let length = UInt32(bytes.count)
        bytes = WindowsGUID.bytes(of: kind.typeGUID) + [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)] + bytes + [0]
    }
    switch kind {
    case .policy: check(bytes, PolicyBlob.decode, { $0.encoded() })
    case .isakmp: check(bytes, ISAKMPBlob.decode, { $0.encoded() })
    case .nfa: check(bytes, NFABlob.decode, { $0.encoded() })
    case .negotiation: check(bytes, NegotiationBlob.decode, { $0.encoded() })
    case .filter: check(bytes, FilterBlob.decode, { $0.encoded() })
    }
    return 0
}

func check<T: Equatable>(_ bytes: [UInt8], _ decode: ([UInt8], String) throws(BlobError) -> T, _ encode: (T) -> [UInt8]) {
    guard let value = try? decode(bytes, "fuzz") else { return }
    let again = try? decode(encode(value), "fuzz")
    precondition(again == value, "decode(encode(blob)) != blob")
}
