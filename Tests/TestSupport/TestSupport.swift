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

    /// An IPv4/UDP packet (header checksum set, UDP checksum 0) around `payload`, port 500 to 500
    /// unless told: IKE datagrams for a capture.
    public static func ipv4UDP(_ payload: [UInt8], from source: [UInt8], to destination: [UInt8], port: UInt16 = 500) -> [UInt8] {
        let total = 28 + payload.count
        let udpLength = payload.count + 8
        var header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0]
            + source + destination
            + [UInt8(port >> 8), UInt8(port & 0xFF), UInt8(port >> 8), UInt8(port & 0xFF), UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(header[index]) << 8 | UInt32(header[index + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        header[10] = UInt8((~sum >> 8) & 0xFF)
        header[11] = UInt8(~sum & 0xFF)
        return header + payload
    }
}

/// Runs an oracle tool (tshark, python3) and collects what it prints.
public enum Subprocess {
    /// Runs `executable` (an absolute path, or a name looked up by /usr/bin/env) with
    /// `arguments`, writing `input` to its standard input; standard error is discarded.
    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> (output: String, status: Int32) {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(input)
            try stdin.fileHandleForWriting.close()
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (text, process.terminationStatus)
    }
}
