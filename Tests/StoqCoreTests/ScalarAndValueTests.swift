import StoqCore
import Testing

@Suite("YAML 1.2 scalar resolution, decimals and datetimes")
struct ScalarAndValueTests {
    @Test(
        "plain scalars resolve by the restricted core schema",
        arguments: [
            ("true", ResolvedScalar.bool(true)), ("false", .bool(false)),
            ("yes", .string("yes")), ("on", .string("on")), ("True", .string("True")), ("No", .string("No")),
            ("~", .null), ("null", .null), ("NULL", .null), ("", .null),
            ("42", .integer("42")), ("-7", .integer("-7")), ("+3", .integer("+3")), ("0017", .integer("0017")),
            ("1.5", .decimal("1.5")), ("1e3", .decimal("1e3")), (".5", .decimal(".5")), ("2.", .decimal("2.")),
            ("0x1F", .string("0x1F")), ("0o17", .string("0o17")), ("1:30", .string("1:30")), ("1_000", .string("1_000")),
            (".inf", .nonFinite(".inf")), ("-.Inf", .nonFinite("-.Inf")), (".nan", .nonFinite(".nan")),
            ("2026-10-01", .string("2026-10-01")), ("-", .string("-")), (".", .string(".")), ("1e", .string("1e")),
        ])
    func resolves(_ input: (String, ResolvedScalar)) {
        #expect(ScalarResolver.resolvePlain(input.0) == input.1)
    }

    @Test("quoted scalars are always strings; !!str forces a string")
    func quotedAndTagged() {
        #expect(ScalarResolver.resolve(YAMLScalar(text: "true", style: .doubleQuoted)) == .string("true"))
        #expect(ScalarResolver.resolve(YAMLScalar(text: "42", style: .plain), tag: "tag:yaml.org,2002:str") == .string("42"))
    }

    @Test(
        "decimals compare by value and print canonically",
        arguments: [
            ("10", "10.0", true), ("10", "1e1", true), ("0.10", ".1", true), ("-0", "0", true),
            ("19.99", "19.990", true), ("1", "1.0000000000000000000000001", false), ("-5", "5", false),
        ])
    func decimalEquality(_ c: (String, String, Bool)) throws {
        let a = try #require(DecimalNumber(c.0))
        let b = try #require(DecimalNumber(c.1))
        #expect((a == b) == c.2)
    }

    @Test("decimal ordering and text")
    func decimalOrder() throws {
        let values = try ["-2.5", "-1", "0", "0.001", "0.1", "1", "99.99", "100", "1e3"].map { try #require(DecimalNumber($0)) }
        #expect(values == values.sorted())
        #expect(values.map(\.description) == ["-2.5", "-1", "0", "0.001", "0.1", "1", "99.99", "100", "1000"])
        #expect(DecimalNumber("1e999") == nil)
        #expect(DecimalNumber("abc") == nil)
    }

    @Test("datetimes equal as instants across zones and precision")
    func instants() throws {
        func t(_ s: String) throws -> Timestamp { try Timestamp.parse(s).get() }
        #expect(try t("2026-10-01T09:00:00Z") == t("2026-10-01T11:00:00+02:00"))
        #expect(try t("2026-10-01T09:00:00Z") == t("2026-10-01T09:00:00.000Z"))
        #expect(try t("2026-10-01T09:00Z") == t("2026-10-01 09:00:00z"))
        #expect(try t("2026-10-01T09:00:00-0700") == t("2026-10-01T16:00:00Z"))
        #expect(try t("2025-07-01T19:15:12.965Z").description == "2025-07-01T19:15:12.965Z")
        #expect(try t("2024-02-29T23:59:59+01:00").description == "2024-02-29T22:59:59Z")
        #expect(try t("1969-12-31T23:59:59Z").seconds == -1)
    }

    @Test("datetimes without a zone or outside the calendar are refused")
    func badDatetimes() {
        #expect(Timestamp.parse("2026-10-01T09:00:00") == .failure(.missingZone))
        #expect(Timestamp.parse("2026-10-01") == .failure(.missingZone))
        for bad in ["2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-10-01T24:00:00Z", "2026-10-01T09:00:00+2", "tomorrow"] {
            guard case .failure(.malformed) = Timestamp.parse(bad) else {
                Issue.record("\(bad) was not refused as malformed")
                continue
            }
        }
    }
}
