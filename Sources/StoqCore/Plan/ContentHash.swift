import Crypto

/// Content hashes: the plan hash of saved plans, the safety fingerprint and the read cache's keys.
public enum ContentHash {
    /// The lowercase hex SHA-256 digest of `text`'s UTF-8 bytes.
    public static func sha256(_ text: String) -> String {
        var text = text
        let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        return digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (i, byte) in bytes.enumerated() {
                    out[2 * i] = hexDigits[Int(byte >> 4)]
                    out[2 * i + 1] = hexDigits[Int(byte & 0x0f)]
                }
                return bytes.count * 2
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
