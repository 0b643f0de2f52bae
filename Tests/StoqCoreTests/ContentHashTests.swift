import StoqCore
import Testing

/// The plan hash is in saved plans and goldens: the digest and its hex spelling must never change.
@Suite("Content hashes: SHA-256 of the UTF-8 text, in lowercase hex, against the NIST vectors")
struct ContentHashTests {
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
        #expect(ContentHash.sha256(input) == expected)
    }

    @Test("a million a's, and a string that is not stored contiguously as UTF-8")
    func longAndBridged() {
        #expect(
            ContentHash.sha256(String(repeating: "a", count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let sliced = String(Substring("xabcx").dropFirst().dropLast())
        #expect(ContentHash.sha256(sliced) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
