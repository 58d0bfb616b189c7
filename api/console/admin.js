// Admin: locations, channels, safety rules and exclusions, keys and webhook subscriptions,
// each listed as the API answers it, created from a JSON body as the API takes it, and
// removed; sourcing and fulfilment profiles have their own pages (profiles.js).
import { call, enc, get, post } from "./api.js";
import { t } from "./i18n.js";
import { button, h, loading, notice, page, refusal, show, table } from "./ui.js";
import { routes as profileRoutes } from "./profiles.js";

// name: [list path, path of one, example body for a new one, extra actions per row]
const RESOURCES = {
  locations: ["/locations", "/locations/{id}",
    { id: "ST-NEW", name: "New store", type: "store", country: "FR", lat: 48.85, lon: 2.35 }],
  channels: ["/channels", "/channels/{id}",
    { id: "web-new", name: "New web shop", market: "FR", network_id: "net-new" }],
  networks: ["/networks", "/networks/{id}", { id: "net-new", name: "New network", locations: [] }],
  "safety-rules": ["/safety-rules", "/safety-rules/{id}",
    { id: "keep-two", scope: "sku", sku: "SKU-1", quantity: 2 }],
  exclusions: ["/exclusions", "/exclusions/{id}",
    { id: "no-phones", channel: "web-fr", category: "electronics" }],
  keys: ["/keys", "/keys/{id}", { role: "store", name: "new-store", location_id: "ST-NEW" }],
  webhooks: ["/webhooks/subscriptions", "/webhooks/subscriptions/{id}",
    { url: "https://example.com/hooks", events: ["order.*"] }],
  // Read and redelivered only: the relay makes them.
  deliveries: ["/webhooks/deliveries", null, null],
};
// What may change in one, and how: [method, the fields its body takes].
const EDITS = {
  locations: ["PATCH", ["name", "type", "country", "lat", "lon", "daily_capacity",
    "lead_time_hours", "is_open"]],
  channels: ["PATCH", ["name", "market", "network_id", "buffer", "low_stock"]],
  networks: ["PATCH", ["name", "locations"]],
  "safety-rules": ["PUT", ["scope", "quantity", "percent", "sku", "category", "location_id",
    "vendor_id", "location_type", "channel", "note"]],
};
const ACTIONS = {
  keys: [["key.rotate", (id) => `/keys/${enc(id)}/rotate`]],
  webhooks: [["webhook.rotate", (id) => `/webhooks/subscriptions/${enc(id)}/rotate-secret`]],
  deliveries: [["delivery.redeliver", (id) => `/webhooks/deliveries/${enc(id)}/redeliver`]],
};

function home() {
  page(t("admin.title"), h("ul", { class: "cards" },
    [...Object.keys(RESOURCES), "sourcing", "fulfilment"].map((name) =>
      h("li", {}, h("a", { href: `#/admin/${name}` }, t(`admin.${name}`)),
        h("div", { class: "muted" }, t(`admin.${name}.help`))))));
}

const scalar = (v) => v === null || ["string", "number", "boolean"].includes(typeof v);

async function resource([name]) {
  const spec = RESOURCES[name];
  if (!spec) return page(t("notfound.title"), h("p", {}, t("notfound")));
  const [listPath, onePath, example] = spec;
  const main = page(t(`admin.${name}`), loading());
  const answer = await get(listPath);
  main.lastChild.remove();
  main.append(h("p", {}, h("a", { href: "#/admin" }, t("back.admin"))));
  const slot = h("div", { id: "result" });
  main.append(slot);
  if (!answer.ok) {
    main.append(refusal(answer));
    return null;
  }
  const items = Array.isArray(answer.body) ? answer.body : answer.body.items;
  const idOf = (x) => x.id ?? x.rule_id ?? x.exclusion_id;
  const cols = items.length ? Object.keys(items[0]).filter((k) => scalar(items[0][k])).slice(0, 6) : [];
  const rowActions = (x) => [
    ...(ACTIONS[name] || []).map(([label, path]) => button(t(label), async () => {
      const r = await post(path(idOf(x)));
      show(slot, r.ok ? h("div", { class: "notice", role: "status" },
        r.body && r.body.secret ? t("secret.once") : t("done"),
        h("pre", {}, JSON.stringify(r.body, null, 2))) : refusal(r));
    }, { class: "quiet", "aria-label": `${t(label)} ${idOf(x)}` })),
    EDITS[name] ? button(t("edit"), () => editRow(name, onePath, idOf(x), x, slot),
      { class: "quiet", "aria-label": `${t("edit")} ${idOf(x)}` }) : null,
    onePath && button(t("delete"), async () => {
      if (!window.confirm(t("delete.confirm", { id: idOf(x) }))) return null;
      const r = await call("DELETE", onePath.replace("{id}", enc(idOf(x))));
      if (!r.ok) return show(slot, refusal(r));
      await resource([name]);
      return show(document.getElementById("result"), notice(t("deleted", { id: idOf(x) })));
    }, { class: "quiet", "aria-label": `${t("delete")} ${idOf(x)}` }),
  ];
  main.append(items.length
    ? table(t(`admin.${name}`), [...cols.map((c) => [c, (x) => String(x[c] ?? "—")]),
      [t("details"), (x) => h("details", {}, h("summary", {}, t("details")),
        h("pre", {}, JSON.stringify(x, null, 2)))],
      [t("actions"), rowActions]], items)
    : h("p", {}, t("none")));
  if (!example) return null;
  const body = h("textarea", { id: "new-body", name: "body", rows: 8 }, JSON.stringify(example, null, 2));
  main.append(h("h2", {}, t("admin.create")), h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(body.value);
    } catch (err) {
      return show(slot, refusal({ status: 422, body: { code: "invalid_json", reason: String(err) } }));
    }
    const r = await post(listPath, parsed);
    if (!r.ok) return show(slot, refusal(r));
    await resource([name]);
    return show(document.getElementById("result"), h("div", { class: "notice", role: "status" },
      t("created.one"), r.body && r.body.secret ? ` ${t("secret.once")}` : "",
      h("pre", {}, JSON.stringify(r.body, null, 2))));
  } }, h("label", { for: "new-body" }, t("admin.body")), body,
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("admin.create")))));
  return null;
}

// One row's editable fields as JSON, sent back as the API takes a change.
function editRow(name, onePath, id, row, slot) {
  const [method, fields] = EDITS[name];
  const current = Object.fromEntries(fields.filter((f) => f in row).map((f) => [f, row[f]]));
  const body = h("textarea", { id: "edit-body", name: "body", rows: 8 }, JSON.stringify(current, null, 2));
  const problem = h("div");
  const form = h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(body.value);
    } catch (err) {
      return show(problem, refusal({ status: 422, body: { code: "invalid_json", reason: String(err) } }));
    }
    const r = await call(method, onePath.replace("{id}", enc(id)), parsed);
    if (!r.ok) return show(problem, refusal(r));
    await resource([name]);
    return show(document.getElementById("result"), notice(t("saved", { id })));
  } }, h("h2", {}, t("edit.title", { id })), h("label", { for: "edit-body" }, t("admin.body.edit")),
  body, problem, h("div", { class: "actions" }, h("button", { type: "submit" }, t("save"))));
  slot.replaceChildren(form);
  body.focus();
}

export const routes = [
  [/^#\/admin\/?$/, home],
  ...profileRoutes,
  [/^#\/admin\/([a-z-]+)$/, resource],
];
