import StoqWire
import Testing

@Suite("SHA-256 against the NIST vectors")
struct SHA256Tests {
    @Test(
        "known digests",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
            ("é🙂", "7382f537af6a53054b6a72792df00fa0be0f5d2e8214db9cd6ebbcc3d57d02b9"),
        ])
    func digest(input: String, expected: String) {
        #expect(SHA256.hex(input) == expected)
    }

    @Test("a million a's, and block-boundary lengths agree with feeding in pieces")
    func longAndPieces() {
        #expect(SHA256.hex(String(repeating: "a", count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        for n in [55, 56, 63, 64, 65, 119, 120, 128] {
            let text = String(repeating: "x", count: n)
            var pieces = SHA256()
            pieces.update(text.utf8.prefix(n / 2))
            pieces.update(text.utf8.dropFirst(n / 2))
            let hex = pieces.finalize().map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                .joined()
            #expect(hex == SHA256.hex(text), "length \(n)")
        }
    }
}
