// Every admin form's fields, as the API's request models name and type them (api/routers/*):
// one place to read what a page sends. A field: name (the body's), type (text, url, number,
// checkbox, select, checks: several of a fixed set, list: comma-separated, map: "a=1, b=2",
// buffer: a quantity or a percent), required, options (an enum's exact values), default (the
// API's, shown on a new one), step/min/max for numbers, suggest (ids offered as one types),
// clear (what an edit sends when the field is emptied), always (sent even when empty: a PUT
// replaces the whole, and an omitted list would fall back to its default).
export const LOCATION_TYPES = ["warehouse", "store", "dropship", "dark_store"];
const SCOPES = ["sku_at_location", "sku", "category", "location", "dropship_vendor",
  "location_type", "channel"];
const ROLES = ["storefront", "analyst", "store", "integration", "admin"];
export const USAGES = ["short_pick", "rejection", "cancellation", "skip_step", "return_qc",
  "adjustment", "return_request"];
export const STOCK_EFFECTS = ["write_off", "quarantine", "recount", "none"];
export const ROUTING_EFFECTS = ["reroute", "cancel_units", "none"];
export const SHIPPING_REFUNDS = ["never", "when_all_returned", "always"];
export const TIERS = ["new", "standard", "gold", "vip"];

const id = { name: "id", type: "text", required: true };
const note = { name: "note", type: "text" };

// name: [the fields of a new one, how one changes: [method, the fields its body takes]].
export const FORMS = {
  locations: [[
    id,
    { name: "name", type: "text", required: true },
    { name: "type", type: "select", required: true, options: LOCATION_TYPES },
    { name: "country", type: "text", required: true },
    { name: "lat", type: "number", required: true, step: "any", min: -90, max: 90 },
    { name: "lon", type: "number", required: true, step: "any", min: -180, max: 180 },
    { name: "daily_capacity", type: "number", min: 0, default: 1000 },
    { name: "lead_time_hours", type: "number", step: "any", min: 0, default: 0 },
    { name: "is_open", type: "checkbox", default: true },
    { name: "vendor_id", type: "text", clear: null },
  ], ["PATCH", ["name", "type", "country", "lat", "lon", "daily_capacity", "lead_time_hours",
    "is_open", "vendor_id"]]],
  channels: [[
    id,
    { name: "name", type: "text", required: true },
    { name: "market", type: "text", required: true },
    { name: "network_id", type: "text", required: true, suggest: "networks" },
    { name: "buffer", type: "buffer", clear: null },
    { name: "low_stock", type: "number", min: 0, default: 0 },
    { name: "locale", type: "select", options: ["fr", "en"], clear: null },
  ], ["PATCH", ["name", "market", "network_id", "buffer", "low_stock", "locale"]]],
  networks: [[
    id,
    { name: "name", type: "text", required: true },
    { name: "locations", type: "list", clear: [] },
  ], ["PATCH", ["name", "locations"]]],
  "safety-rules": [[
    id,
    { name: "scope", type: "select", required: true, options: SCOPES },
    { name: "quantity", type: "number", min: 0 },
    { name: "percent", type: "number", step: "any", min: 0, max: 100 },
    { name: "sku", type: "text" },
    { name: "category", type: "text" },
    { name: "location_id", type: "text", suggest: "locations" },
    { name: "vendor_id", type: "text" },
    { name: "location_type", type: "select", options: LOCATION_TYPES },
    { name: "channel", type: "text", suggest: "channels" },
    note,
  ], ["PUT", ["scope", "quantity", "percent", "sku", "category", "location_id", "vendor_id",
    "location_type", "channel", "note"]]],
  exclusions: [[
    id,
    { name: "channel", type: "text", suggest: "channels" },
    { name: "market", type: "text" },
    { name: "sku", type: "text" },
    { name: "category", type: "text" },
    { name: "location_id", type: "text", suggest: "locations" },
    note,
  ]],
  keys: [[
    { name: "role", type: "select", required: true, options: ROLES },
    { name: "name", type: "text", required: true },
    { name: "location_id", type: "text", suggest: "locations" },
    { name: "channels", type: "list" },
    { name: "expires_at", type: "text" },
  ]],
  webhooks: [[
    { name: "url", type: "url", required: true },
    { name: "events", type: "list", required: true },
    { name: "secret", type: "text" },
  ]],
};

// Where the ids a `suggest` names are listed.
export const SUGGESTED = { locations: "/locations", networks: "/networks", channels: "/channels" };

export const REASON_CODE = [
  { name: "code", type: "text", required: true },
  { name: "label", type: "text", required: true },
  { name: "usages", type: "checks", required: true, options: USAGES },
  { name: "stock_effect", type: "select", options: STOCK_EFFECTS, default: "none" },
  { name: "routing_effect", type: "select", options: ROUTING_EFFECTS, default: "none" },
  // Its choices: the message keys the codes already name (the API takes any such key).
  { name: "customer_message", type: "select" },
];

// Every field of a ReturnPolicy (oms/domain/returns.py); a PUT replaces the whole policy.
export const RETURN_POLICY = [
  { name: "window_days", type: "number", min: 0, max: 3650, default: 30 },
  { name: "category_window_days", type: "map", always: true },
  { name: "non_returnable_categories", type: "list", always: true },
  { name: "instant_refund_tiers", type: "checks", options: TIERS, always: true },
  // Their choices: the reason codes of a return's grading and of a customer's request.
  { name: "refunded_grades", type: "checks", always: true },
  { name: "receive_within_days", type: "number", min: 1, max: 365, default: 30 },
  { name: "qc_due_hours", type: "number", min: 1, max: 720, default: 48 },
  { name: "refund_shipping", type: "select", options: SHIPPING_REFUNDS, default: "never" },
  { name: "shipping_refund_reasons", type: "checks", always: true },
];
