import StoqWire

/// JSON Schemas of config files and of `stoqctl.yaml`, for editors (yaml-language-server, JetBrains,
/// VS Code) and other tools.
///
/// Built from the tables the loader reads with: ``PlanField`` (names, types, nullability), the
/// loader's key lists, ``SafetySettings/thresholds``, ``PolicySource`` and the standard
/// ``LoadLimits``. Every property carries an example the loader accepts, and the test suite loads
/// those examples, so a key the loader stops accepting (or starts accepting) fails a test. The files
/// in `schema/` are this output, checked by a golden test.
public enum ConfigSchema {
    /// File name of the config-file schema.
    public static let configFileName = "config.schema.json"
    /// File name of the `stoqctl.yaml` schema.
    public static let settingsFileName = "settings.schema.json"

    /// The schema of a config file (`selling_plans`).
    public static var config: JSONValue {
        document(
            id: configFileName, title: "stoqctl configuration file",
            description: "Selling plans (preorder offers) managed by stoqctl. Reference: Docs/ConfigReference.md.",
            properties: [
                ("version", version),
                (
                    "selling_plans",
                    .object([
                        ("description", .string("The selling plans this file declares.")),
                        ("type", .array([.string("array"), .string("null")])),
                        ("items", .object([("$ref", .string("#/definitions/selling_plan"))])),
                    ])
                ),
            ],
            definitions: [("selling_plan", plan), ("id_list", idList), ("variant_list", variantList), ("field_list", fieldList)])
    }

    /// The schema of `stoqctl.yaml`.
    public static var settings: JSONValue {
        document(
            id: settingsFileName, title: "stoqctl settings (stoqctl.yaml)",
            description: "Settings read from stoqctl.yaml at the root of the configuration directory.",
            properties: ConfigLoader.settingsTopLevel.map { ($0, settingsProperty($0)) },
            definitions: [("field_list", fieldList)])
    }

    /// An example value for each settings key, which the loader accepts (the test suite loads each).
    public static func settingsExample(_ key: String) -> JSONValue {
        settingsProperty(key)["examples"]?.arrayValue?.first ?? .null
    }

    // MARK: - Building blocks

    static func document(
        id: String, title: String, description: String, properties: [(String, JSONValue)], definitions: [(String, JSONValue)]
    ) -> JSONValue {
        .object([
            ("$schema", .string("http://json-schema.org/draft-07/schema#")),
            ("$id", .string("\(Release.schemaBaseURL)/\(id)")),
            ("title", .string(title)),
            ("description", .string(description)),
            ("type", .string("object")),
            ("required", .array([.string("version")])),
            ("properties", .object(properties)),
            ("patternProperties", .object([("^x-", .object([("description", .string("Ignored: a place for YAML anchors."))]))])),
            ("additionalProperties", .bool(false)),
            ("definitions", .object(definitions)),
        ])
    }

    static let version = JSONValue.object([
        ("description", .string("The configuration format version; 1 is the only one.")),
        ("const", .integer(ConfigLoader.supportedVersion)),
        ("examples", .array([.integer(ConfigLoader.supportedVersion)])),
    ])

    static let idList = JSONValue.object([
        ("type", .string("array")),
        ("items", .object([("type", .string("integer")), ("minimum", .integer(1)), ("maximum", .integer(Int64.max))])),
        ("uniqueItems", .bool(true)),
    ])

    /// A variant list: ids, or names Shopify resolves (`sku:…`, `barcode:…`, `product:…`, also as
    /// a one-key mapping).
    static let variantList = JSONValue.object([
        ("type", .string("array")),
        (
            "items",
            .object([
                (
                    "oneOf",
                    .array([
                        .object([("type", .string("integer")), ("minimum", .integer(1)), ("maximum", .integer(Int64.max))]),
                        .object([("type", .string("string")), ("pattern", .string("^(sku|barcode|product):\\S(.*\\S)?$"))]),
                        .object([
                            ("type", .string("object")), ("minProperties", .integer(1)), ("maxProperties", .integer(1)),
                            (
                                "properties",
                                .object(
                                    VariantSelector.Kind.allCases.map {
                                        ($0.rawValue, .object([("type", .string("string")), ("minLength", .integer(1))]))
                                    })
                            ),
                            ("additionalProperties", .bool(false)),
                        ]),
                    ])
                )
            ])
        ),
        ("uniqueItems", .bool(true)),
    ])

    static let fieldList = JSONValue.object([
        ("type", .string("array")),
        ("items", .object([("enum", .array(PlanField.names.map(JSONValue.string)))])),
    ])

    static func ref(_ name: String, _ description: String, example: JSONValue) -> JSONValue {
        .object([
            ("description", .string(description)),
            ("allOf", .array([.object([("$ref", .string("#/definitions/\(name)"))])])),
            ("examples", .array([example])),
        ])
    }

    static var plan: JSONValue {
        var properties: [(String, JSONValue)] = [
            (
                "internal_name",
                .object([
                    ("description", .string("The plan's identity: unique across all files, matched with STOQ's internal_name.")),
                    ("type", .string("string")), ("pattern", .string("\\S")), ("examples", .array([.string("fall-drop-2026")])),
                ])
            ),
            (
                "id",
                .object([
                    ("description", .string("STOQ's id of the plan, when pinned (export writes it).")),
                    ("type", .string("string")), ("pattern", .string("\\S")),
                    ("examples", .array([.string("5e7a0c1d-0000-4000-8000-000000000001")])),
                ])
            ),
        ]
        properties += PlanField.allCases.map { ($0.rawValue, fieldProperty($0)) }
        properties += [
            (
                "variants",
                ref(
                    "variant_list",
                    "Variants in the plan (product_variants_source: custom): ids, sku:SKU, barcode:BARCODE or product:HANDLE.",
                    example: .array([.integer(43900910010503), .string("sku:TEE-BLK-S")]))
            ),
            (
                "inventory_policy",
                .object([
                    ("description", .string("Shopify inventory policy per variant: CONTINUE keeps selling when out of stock, DENY stops.")),
                    ("type", .string("object")),
                    (
                        "properties",
                        .object(InventoryPolicy.allCases.map { ($0.rawValue, .object([("$ref", .string("#/definitions/variant_list"))])) })
                    ),
                    ("additionalProperties", .bool(false)),
                    ("examples", .array([.object([("CONTINUE", .array([.integer(43900910010503)]))])])),
                ])
            ),
            (
                "inventory_policy_on_removal",
                .object([
                    (
                        "description",
                        .string(
                            "The inventory policy variants get as the configuration removes them from this plan, set with the removal (DENY ends a preorder without overselling)."
                        )
                    ),
                    ("enum", .array(InventoryPolicy.allCases.map { .string($0.rawValue) })), ("examples", .array([.string("DENY")])),
                ])
            ),
            (
                "ignore_fields",
                ref("field_list", "Fields of this plan that are never compared or sent.", example: .array([.string("shipping_text")]))
            ),
        ]
        let overridable = properties.filter { ConfigLoader.overrideKeys.contains($0.0) }
        properties += [
            (
                "shops",
                .object([
                    ("description", .string("The shops (keys of `shops:` in stoqctl.yaml) this offer is for; every shop when left out.")),
                    ("type", .string("array")), ("minItems", .integer(1)), ("items", shopName), ("uniqueItems", .bool(true)),
                    ("examples", .array([.array([.string("us"), .string("eu")])])),
                ])
            ),
            (
                "overrides",
                .object([
                    ("description", .string("Per shop, keys that replace the shared ones for that shop (ids are written here).")),
                    ("type", .string("object")),
                    ("propertyNames", shopName),
                    (
                        "additionalProperties",
                        .object([
                            ("type", .string("object")), ("properties", .object(overridable)), ("additionalProperties", .bool(false)),
                        ])
                    ),
                    ("examples", .array([.object([("eu", .object([("shipping_text", .string("Ships from Rotterdam"))]))])])),
                ])
            ),
        ]
        return .object([
            ("type", .string("object")),
            ("required", .array([.string("internal_name")])),
            ("properties", .object(properties)),
            ("additionalProperties", .bool(false)),
        ])
    }

    /// A shop's name, as `shops:` keys it.
    static let shopName = JSONValue.object([("type", .string("string")), ("pattern", .string("^[a-z0-9][a-z0-9_-]{0,39}$"))])

    /// The schema of the `shops` key (the stores of a repository that describes several).
    static var shopsSetting: JSONValue {
        let variable = { (prefix: String) -> JSONValue in
            .object([("type", .string("string")), ("pattern", .string("^\(prefix)[A-Z0-9_]*TOKEN[A-Z0-9_]*$"))])
        }
        let shop: JSONValue = .object([
            ("type", .string("object")),
            (
                "properties",
                .object([
                    (
                        "shopify_shop",
                        .object([("description", .string("The store's myshopify.com domain.")), ("type", .string("string"))])
                    ),
                    ("stoq_token_env", variable("STOQ_")),
                    ("shopify_token_env", variable("SHOPIFY_")),
                    ("stoq_shop_id", .object([("type", .string("integer")), ("minimum", .integer(1))])),
                    ("safety", .object([("$ref", .string("#/properties/safety"))])),
                ])
            ),
            ("required", .array([.string("shopify_shop")])),
            ("additionalProperties", .bool(false)),
        ])
        return .object([
            (
                "description",
                .string(
                    "The stores this repository describes, by name: each one's domain, the environment variables holding its tokens, and its own safety."
                )
            ),
            ("type", .string("object")), ("minProperties", .integer(1)), ("propertyNames", shopName), ("additionalProperties", shop),
            (
                "examples",
                .array([
                    .object([
                        (
                            "eu",
                            .object([
                                ("shopify_shop", .string("acme-eu")), ("stoq_token_env", .string("STOQ_API_TOKEN_EU")),
                                ("shopify_token_env", .string("SHOPIFY_ADMIN_TOKEN_EU")),
                            ])
                        )
                    ])
                ])
            ),
        ])
    }

    /// The schema of one plan field, from its ``FieldType``.
    static func fieldProperty(_ field: PlanField) -> JSONValue {
        var notes: [String] = []
        var members: [(String, JSONValue)] = []
        func type(_ name: String) -> JSONValue {
            field.isNullable ? .array([.string(name), .string("null")]) : .string(name)
        }
        let example: JSONValue
        switch field.type {
        case .string:
            members.append(("type", type("string")))
            example = .string("Ships mid-October")
        case .bool:
            members.append(("type", type("boolean")))
            example = .bool(true)
        case .integer(let range):
            members += [("type", type("integer")), ("minimum", .integer(range.lowerBound)), ("maximum", .integer(range.upperBound))]
            example = .integer(range.lowerBound == 1 && range.upperBound < 100_000 ? 14 : 1_000_000_001)
        case .decimal(let min, let max):
            members.append(("type", type("number")))
            if let min { members.append(("minimum", .number(min.description))) }
            if let max { members.append(("maximum", .number(max.description))) }
            example = .integer(10)
        case .datetime:
            members += [("type", type("string")), ("format", .string("date-time"))]
            notes.append("An ISO 8601 datetime with a zone.")
            example = .string("2026-10-01T09:00:00Z")
        case .closedEnum(let values):
            members.append(("enum", .array(values.map(JSONValue.string))))
            example = .string(values[0])
        case .openEnum(let known):
            members += [("type", .string("string")), ("pattern", .string("\\S"))]
            notes.append(
                "Known values: \(known.joined(separator: ", ")); STOQ documents this enum only in part, so others are sent with a warning.")
            example = .string(known[0])
            members.append(("examples", .array(known.map(JSONValue.string))))
        case .idList:
            members.append(("$ref", .string("#/definitions/id_list")))
            example = .array([.integer(88_000_000_001)])
        }
        if field.isNullable { notes.append("null clears it in STOQ.") }
        if field.isWriteOnly { notes.append("STOQ never returns it, so it is sent with a create or an update and cannot be verified.") }
        var result: [(String, JSONValue)] = [("description", .string((["STOQ's `\(field.rawValue)`."] + notes).joined(separator: " ")))]
        result += members
        if !result.contains(where: { $0.0 == "examples" }) { result.append(("examples", .array([example]))) }
        return .object(result)
    }

    /// The schema of an object setting with `properties` and nothing else.
    private static func objectSetting(_ description: String, _ properties: [(String, JSONValue)], example: JSONValue) -> JSONValue {
        .object([
            ("description", .string(description)), ("type", .string("object")), ("properties", .object(properties)),
            ("additionalProperties", .bool(false)), ("examples", .array([example])),
        ])
    }

    /// The schema of a scalar setting.
    private static func scalarSetting(_ description: String, _ members: [(String, JSONValue)], example: JSONValue) -> JSONValue {
        .object([("description", .string(description))] + members + [("examples", .array([example]))])
    }

    /// The schema of one `stoqctl.yaml` key.
    static func settingsProperty(_ key: String) -> JSONValue {
        switch key {
        case "version":
            return version
        case "endpoint":
            return scalarSetting(
                "STOQ's API base URL: https://…, http:// for loopback, or emulator:FILE.",
                [("type", .string("string")), ("pattern", .string("^(https://|http://|emulator:)"))],
                example: .string("https://api.stoqapp.com/v1"))
        case "prune":
            return scalarSetting(
                "Delete plans in the shop that no file declares (still needs --allow-deletes).", [("type", .string("boolean"))],
                example: .bool(true))
        case "ignore_fields":
            return ref("field_list", "Fields no plan compares or sends.", example: .array([.string("shipping_text")]))
        case "plans":
            return plansSetting
        case "safety":
            return safetySetting
        case "chunks":
            return objectSetting(
                "Ids per membership or policy call.",
                ConfigLoader.chunkKeys.map {
                    ($0, .object([("type", .string("integer")), ("minimum", .integer(1)), ("maximum", .integer(1_000))]))
                },
                example: .object([(ConfigLoader.chunkKeys[0], .integer(50))]))
        case "inventory_policy_source":
            return scalarSetting(
                "Where inventory policy truth comes from: auto (Shopify when a shop and token are given), shopify, or declared.",
                [("enum", .array(PolicySource.allCases.map { .string($0.rawValue) }))], example: .string(PolicySource.declared.rawValue))
        case "shopify_shop":
            return scalarSetting(
                "The Shopify shop whose inventory policies are read: acme or acme.myshopify.com.",
                [("type", .string("string")), ("pattern", .string("^[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]?(\\.myshopify\\.com)?$"))],
                example: .string("acme"))
        case "shopify_api_version":
            return scalarSetting(
                "The Shopify Admin API version to read with.",
                [("type", .string("string")), ("pattern", .string("^([0-9]{4}-[0-9]{2}|unstable)$"))], example: .string("2026-10"))
        case "baseline":
            return scalarSetting(
                "What differences are attributed against: a git ref (read without a checkout) or a directory.",
                [("type", .string("string")), ("pattern", .string("\\S"))], example: .string("origin/main"))
        case "limits":
            return objectSetting(
                "Load limits for the config files; they may only be lowered.",
                ConfigLoader.limitKeys.map { key in
                    (
                        key,
                        .object([
                            ("type", .string("integer")), ("minimum", .integer(1)),
                            ("maximum", .integer(Int64(ConfigLoader.limit(key, of: .standard)))),
                        ])
                    )
                },
                example: .object([(ConfigLoader.limitKeys[0], .integer(1_048_576))]))
        case "shops":
            return shopsSetting
        default:
            preconditionFailure("stoqctl.yaml key `\(key)` has no schema")
        }
    }

    /// The schema of the `plans` key (settings per plan).
    static var plansSetting: JSONValue {
        .object([
            ("description", .string("Settings per plan, keyed by internal_name.")),
            ("type", .string("object")),
            (
                "additionalProperties",
                .object([
                    ("type", .string("object")),
                    ("properties", .object([("ignore_fields", .object([("$ref", .string("#/definitions/field_list"))]))])),
                    ("additionalProperties", .bool(false)),
                ])
            ),
            ("examples", .array([.object([("fall-drop-2026", .object([("ignore_fields", .array([.string("name")]))]))])])),
        ])
    }

    /// The schema of the `safety` key (the gates' thresholds and the approvals).
    static var safetySetting: JSONValue {
        let approval: JSONValue = .object([
            ("type", .string("object")),
            (
                "properties",
                .object([
                    ("gate", .object([("enum", .array(SafetyGate.allCases.map { .string($0.rawValue) }))])),
                    ("change", .object([("type", .string("string")), ("pattern", .string("^[0-9A-Fa-f]{8,16}$"))])),
                    ("note", .object([("type", .string("string"))])),
                ])
            ),
            ("required", .array([.string("gate"), .string("change")])),
            ("additionalProperties", .bool(false)),
        ])
        return objectSetting(
            "Safety gates: apply refuses a plan over any of them unless an approval below or --allow-gate NAME=HASH lets it through.",
            SafetySettings.thresholds.map { threshold in
                let members: [(String, JSONValue)] =
                    threshold.isPercent
                    ? [("type", .string("number")), ("minimum", .integer(0)), ("maximum", .integer(100))]
                    : [("type", .string("integer")), ("minimum", .integer(0))]
                return (threshold.key, .object(members))
            } + [("approvals", .object([("type", .string("array")), ("items", approval)]))],
            example: .object(SafetySettings.thresholds.prefix(1).map { ($0.key, .integer(25)) }))
    }
}
