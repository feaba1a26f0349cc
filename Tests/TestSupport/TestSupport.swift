import Foundation

/// Helpers the test targets share: hex text, pcap files for tshark.
public enum Hex {
    /// Bytes from hex text (an odd digit count gets a trailing 0).
    public static func bytes(_ text: String) -> [UInt8] {
        let digits = text.count % 2 == 0 ? text : text + "0"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            bytes.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    public static func text(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// A pcap file of raw IP packets (LINKTYPE_RAW, 101), one second apart.
public enum Pcap {
    public static func raw(_ packets: [[UInt8]]) -> Data {
        var data = Data()
        func le32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func le16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(101)
        for (index, packet) in packets.enumerated() {
            le32(UInt32(1_800_000_000 + index)); le32(0); le32(UInt32(packet.count)); le32(UInt32(packet.count))
            data.append(contentsOf: packet)
        }
        return data
    }
}
