// Compares stoqctl's JSON reader (StoqWire's JSONParser/JSONValue) with Foundation's
// JSONSerialization and JSONDecoder: numbers kept as written, duplicate member names, and time
// and memory on a large plan JSON. Decision 0021 records how it is run and what it measured.
//
//   swiftc -O -wmo -o /tmp/json-reader-compare scripts/json-reader-compare/main.swift \
//       Sources/StoqWire/JSONParser.swift Sources/StoqWire/JSONValue.swift Sources/StoqWire/Sanitiser.swift
//   /tmp/json-reader-compare properties
//   RUNS=5 /tmp/json-reader-compare ours|serialization|decoder FILE.json

import Foundation

/// Any JSON value through `JSONDecoder` (what a Codable reader of a whole document needs).
indirect enum AnyJSON: Decodable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), array([AnyJSON]), object([String: AnyJSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([AnyJSON].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: AnyJSON].self))
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[" + a.map(\.description).joined(separator: ",") + "]"
        case .object(let o): "{" + o.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
    }
}

func properties() {
    let numbers = #"{"pct": 10.0, "tenth": 0.1, "big": 12345678901234567890, "precise": 1.000000000000000000001}"#
    let duplicate = #"{"shipping_text": "Ships soon", "shipping_text": "Ships in 2027"}"#
    for text in [numbers, duplicate] {
        print("input:               \(text)")
        do { print("  ours:              \(try JSONValue.parse(text).renderCompact())") } catch { print("  ours:              refused: \(error)") }
        do {
            let any = try JSONSerialization.jsonObject(with: Data(text.utf8))
            let back = try JSONSerialization.data(withJSONObject: any, options: [.sortedKeys])
            print("  JSONSerialization: \(String(decoding: back, as: UTF8.self))")
        } catch { print("  JSONSerialization: refused: \(error)") }
        do {
            print("  JSONDecoder:       \(try JSONDecoder().decode(AnyJSON.self, from: Data(text.utf8)))")
        } catch { print("  JSONDecoder:       refused: \(error)") }
        do {
            let decimals = try JSONDecoder().decode([String: Decimal].self, from: Data(text.utf8))
            print("  JSONDecoder, Decimal: \(decimals.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
        } catch { print("  JSONDecoder, Decimal: refused (\(type(of: error)))") }
    }
}

func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

let arguments = CommandLine.arguments
if arguments.count == 2, arguments[1] == "properties" {
    properties()
    exit(0)
}
guard arguments.count == 3 else {
    print("usage: json-reader-compare properties | ours|serialization|decoder FILE")
    exit(64)
}
let data = try Data(contentsOf: URL(fileURLWithPath: arguments[2]))
let bytes = [UInt8](data)
let runs = Int(ProcessInfo.processInfo.environment["RUNS"] ?? "1") ?? 1
var times: [Double] = []
for _ in 0..<runs {
    let start = seconds()
    switch arguments[1] {
    case "ours": _ = try JSONValue.parse(bytes)
    case "serialization": _ = try JSONSerialization.jsonObject(with: data)
    case "decoder": _ = try JSONDecoder().decode(AnyJSON.self, from: data)
    default: fatalError("unknown reader \(arguments[1])")
    }
    times.append(seconds() - start)
}
times.sort()
print(String(format: "%@: %d bytes, %d parses, median %.0f ms, fastest %.0f ms", arguments[1], bytes.count, runs, times[runs / 2] * 1000, times[0] * 1000))
