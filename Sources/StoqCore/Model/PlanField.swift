/// The type of a writable selling-plan field, as the config and the API see it.
public enum FieldType: Sendable, Hashable {
    /// Free text.
    case string
    /// `true` / `false`.
    case bool
    /// A whole number within `range`.
    case integer(ClosedRange<Int64>)
    /// An exact decimal within `min...max` (nil = unbounded).
    case decimal(min: DecimalNumber?, max: DecimalNumber?)
    /// An ISO 8601 datetime with a zone.
    case datetime
    /// An enum STOQ documents fully: any other value is an error.
    case closedEnum([String])
    /// An enum STOQ documents only in part: other values get a warning.
    case openEnum(known: [String])
    /// A list of positive 64-bit Shopify ids.
    case idList
}

/// Every writable field of a STOQ selling plan (STOQ's `SellingPlanInput`, which create and update take), keyed by
/// its API name.
///
/// `internal_name` is the plan's identity and is modelled separately.
public enum PlanField: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case name
    case enabled
    case billingType = "billing_type"
    case billingAt = "billing_at"
    case billingAfterNIntervals = "billing_after_n_intervals"
    case billingAfterIntervalType = "billing_after_interval_type"
    case billingCheckoutChargeAmount = "billing_checkout_charge_amount"
    case billingCheckoutChargePercentage = "billing_checkout_charge_percentage"
    case billingCheckoutChargeType = "billing_checkout_charge_type"
    case billingTitle = "billing_title"
    case billingDescription = "billing_description"
    case deliveryType = "delivery_type"
    case deliveryAt = "delivery_at"
    case deliveryAfterNIntervals = "delivery_after_n_intervals"
    case deliveryAfterIntervalType = "delivery_after_interval_type"
    case inventoryReserveType = "inventory_reserve_type"
    case inventoryProvider = "inventory_provider"
    case pricingType = "pricing_type"
    case pricingAmount = "pricing_amount"
    case pricingPercentage = "pricing_percentage"
    case preorderButtonText = "preorder_button_text"
    case preorderButtonDescription = "preorder_button_description"
    case preorderBadgeEnabled = "preorder_badge_enabled"
    case preorderBadgeText = "preorder_badge_text"
    case preorderBadgeTextColor = "preorder_badge_text_color"
    case preorderBadgeBackgroundColor = "preorder_badge_background_color"
    case shippingText = "shipping_text"
    case discountText = "discount_text"
    case preorderTags = "preorder_tags"
    case productVariantsSource = "product_variants_source"
    case productVariantsSourceID = "product_variants_source_id"
    case marketsEnabled = "markets_enabled"
    case shopifyMarketIDs = "shopify_market_ids"

    /// Order of declaration (the API's own field order), used for stable output.
    public static func < (lhs: PlanField, rhs: PlanField) -> Bool {
        order[lhs, default: 0] < order[rhs, default: 0]
    }

    private static let order: [PlanField: Int] = Dictionary(
        uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    private static let percent = FieldType.decimal(min: DecimalNumber(0), max: DecimalNumber(100))
    private static let amount = FieldType.decimal(min: DecimalNumber(0), max: nil)
    private static let positiveID = FieldType.integer(1...Int64.max)

    /// The field's type.
    public var type: FieldType {
        switch self {
        case .name, .billingTitle, .billingDescription, .preorderButtonText, .preorderButtonDescription,
            .preorderBadgeText, .preorderBadgeTextColor, .preorderBadgeBackgroundColor, .shippingText,
            .discountText, .preorderTags:
            .string
        case .enabled, .preorderBadgeEnabled, .marketsEnabled: .bool
        case .billingType: .closedEnum(["exact_time", "no_remaining_balance", "time_after_checkout"])
        case .billingAt, .deliveryAt: .datetime
        case .billingAfterNIntervals, .deliveryAfterNIntervals: .integer(1...36_500)
        case .billingAfterIntervalType: .closedEnum(["day"])
        case .billingCheckoutChargeAmount, .pricingAmount: Self.amount
        case .billingCheckoutChargePercentage, .pricingPercentage: Self.percent
        case .billingCheckoutChargeType: .closedEnum(["percentage", "price"])
        case .deliveryType: .closedEnum(["anchor", "asap", "exact_time", "unknown"])
        case .deliveryAfterIntervalType: .openEnum(known: ["day"])
        case .inventoryReserveType: .openEnum(known: ["on_sale", "on_fulfillment"])
        case .inventoryProvider: .openEnum(known: ["stoq"])
        case .pricingType: .openEnum(known: ["percentage", "fixed_amount"])
        case .productVariantsSource: .openEnum(known: ["all", "collection", "custom"])
        case .productVariantsSourceID: Self.positiveID
        case .shopifyMarketIDs: .idList
        }
    }

    /// True if the API documents `null` for this field, so `null` in the config means "clear it".
    public var isNullable: Bool {
        switch self {
        case .billingAt, .billingAfterNIntervals, .billingCheckoutChargeAmount,
            .billingCheckoutChargePercentage, .deliveryAt, .deliveryAfterNIntervals:
            true
        default: false
        }
    }

    /// True if the API accepts the field but never returns it, so it cannot be compared.
    public var isWriteOnly: Bool { self == .marketsEnabled || self == .shopifyMarketIDs }

    /// Field names accepted in config files.
    public static let names: [String] = allCases.map(\.rawValue)
}

/// A Shopify inventory policy for a variant.
public enum InventoryPolicy: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// Keep selling when out of stock.
    case `continue` = "CONTINUE"
    /// Stop selling when out of stock.
    case deny = "DENY"

    /// CONTINUE before DENY.
    public static func < (lhs: InventoryPolicy, rhs: InventoryPolicy) -> Bool { lhs.rawValue < rhs.rawValue }
}
