import Foundation

/// Encodes F32 tensors and a metadata map as a safetensors file.
///
/// FERCore's converters are in Python (Tools/); this writer exists so that
/// Swift code and tests can produce files too (for instance to check how the
/// reader answers a corrupted one).
public enum SafeTensorsWriter {
    /// One tensor to write.
    public struct Entry: Sendable {
        /// The tensor's name in the header.
        public var name: String
        /// Its shape, outermost first.
        public var shape: [Int]
        /// Its elements, row-major.
        public var values: [Float]
        /// Creates an entry.
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// Returns the bytes of a safetensors file holding `entries` (in the given
    /// order) and `metadata` under `__metadata__`.
    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) -> [UInt8] {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for entry in entries {
            let bytes = entry.values.count * 4
            parts.append(
                "\(jsonString(entry.name)):{\"dtype\":\"F32\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            )
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        let length = UInt64(headerBytes.count)
        for i in 0..<8 { out.append(UInt8((length >> (8 * UInt64(i))) & 0xff)) }
        out += headerBytes
        for entry in entries {
            for v in entry.values {
                let bits = v.bitPattern.littleEndian
                out.append(UInt8(bits & 0xff))
                out.append(UInt8((bits >> 8) & 0xff))
                out.append(UInt8((bits >> 16) & 0xff))
                out.append(UInt8(bits >> 24))
            }
        }
        return out
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
