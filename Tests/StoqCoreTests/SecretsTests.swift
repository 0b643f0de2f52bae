import StoqWire
import Testing

@Suite("Secrets: a registered token is scrubbed in every form output can carry it in")
struct SecretsTests {
    @Test("as given, percent-encoded and JSON-escaped; a short one is left alone")
    func forms() {
        let token = "tok\"en\\with+/=chars-7f31"
        Secrets.register(token)
        let percent = WireHeaders.percentEncode(token)
        let escaped = String(JSONValue.string(token).renderCompact().dropFirst().dropLast())
        #expect(percent != token && escaped != token && percent != escaped, "three distinct forms")
        for form in [token, percent, escaped] {
            let scrubbed = Secrets.scrub("before \(form) after")
            #expect(scrubbed == "before <redacted> after", "\(form) → \(scrubbed)")
        }
        Secrets.register("short")
        #expect(Secrets.scrub("a short word") == "a short word")
    }
}
