// Admin: locations, channels, safety rules and exclusions, keys and webhook subscriptions,
// each listed as the API answers it, created and changed through the fields the API takes
// (admin_fields.js), and removed; reason codes, return policies (admin_reasons.js,
// admin_returns.js) and sourcing and fulfilment profiles (profiles.js) have their own pages.
import { call, enc, get, post } from "./api.js";
import { t } from "./i18n.js";
import { button, h, loading, notice, page, refusal, show, table } from "./ui.js";
import { FORMS, SUGGESTED } from "./admin_fields.js";
import { fieldForm, suggestions } from "./forms.js";
import { routes as profileRoutes } from "./profiles.js";
import { routes as reasonRoutes } from "./admin_reasons.js";
import { routes as returnRoutes } from "./admin_returns.js";

// name: [list path, path of one]; what their forms take is in FORMS.
const RESOURCES = {
  locations: ["/locations", "/locations/{id}"],
  channels: ["/channels", "/channels/{id}"],
  networks: ["/networks", "/networks/{id}"],
  "safety-rules": ["/safety-rules", "/safety-rules/{id}"],
  exclusions: ["/exclusions", "/exclusions/{id}"],
  keys: ["/keys", "/keys/{id}"],
  webhooks: ["/webhooks/subscriptions", "/webhooks/subscriptions/{id}"],
  // Read and redelivered only: the relay makes them.
  deliveries: ["/webhooks/deliveries", null],
};
const ACTIONS = {
  keys: [["key.rotate", (id) => `/keys/${enc(id)}/rotate`]],
  webhooks: [["webhook.rotate", (id) => `/webhooks/subscriptions/${enc(id)}/rotate-secret`]],
  deliveries: [["delivery.redeliver", (id) => `/webhooks/deliveries/${enc(id)}/redeliver`]],
};

function home() {
  const names = [...Object.keys(RESOURCES), "reason-codes", "return-policies", "sourcing",
    "fulfilment"];
  page(t("admin.title"), h("ul", { class: "cards" }, names.map((name) =>
    h("li", {}, h("a", { href: `#/admin/${name}` }, t(`admin.${name}`)),
      h("div", { class: "muted" }, t(`admin.${name}.help`))))));
}

const scalar = (v) => v === null || ["string", "number", "boolean"].includes(typeof v);

// A new secret (a key's, a subscription's): shown once, on its own, then the whole answer.
function answered(text, body) {
  return h("div", { class: "notice", role: "status" }, text,
    body && body.secret ? [` ${t("secret.once")}`, h("div", {}, h("strong", {}, t("secret")),
      " ", h("code", { id: "secret" }, body.secret))] : "",
    h("details", {}, h("summary", {}, t("details")), h("pre", {}, JSON.stringify(body, null, 2))));
}

// The ids the resource's fields may name, offered as one types.
async function suggested(name) {
  const wanted = [...new Set((FORMS[name]?.[0] || []).map((f) => f.suggest).filter(Boolean))];
  const lists = await Promise.all(wanted.map(async (what) => {
    const r = await get(SUGGESTED[what]);
    return suggestions(what, r.ok ? r.body.items.map((x) => x.id) : []);
  }));
  return h("div", { hidden: true }, lists);
}

async function resource([name]) {
  const spec = RESOURCES[name];
  if (!spec) return page(t("notfound.title"), h("p", {}, t("notfound")));
  const [listPath, onePath] = spec;
  const main = page(t(`admin.${name}`), loading());
  const [answer, lists] = await Promise.all([get(listPath), suggested(name)]);
  main.lastChild.remove();
  main.append(h("p", {}, h("a", { href: "#/admin" }, t("back.admin"))), lists);
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
      show(slot, r.ok ? answered(t("done"), r.body) : refusal(r));
    }, { class: "quiet", "aria-label": `${t(label)} ${idOf(x)}` })),
    FORMS[name]?.[1] ? button(t("edit"), () => editRow(name, onePath, idOf(x), x, slot),
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
  if (!FORMS[name]) return null;
  const form = fieldForm("new", FORMS[name][0]);
  const problem = h("div");
  // The API judges every value (the browser's own checks would refuse in other words, and
  // not at all for what only the API knows, such as an unknown id): its reasons show at the
  // fields.
  main.append(h("h2", {}, t("admin.create")), h("form", { id: "new-form", novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const r = await post(listPath, form.read());
      if (!r.ok) return form.refuse(r, problem);
      await resource([name]);
      return show(document.getElementById("result"), answered(t("created.one"), r.body));
    } }, form.fields, problem,
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("admin.create")))));
  return null;
}

// One row's editable fields, prefilled from the row, sent as the API takes a change.
function editRow(name, onePath, id, row, slot) {
  const [fields, [method, editable]] = FORMS[name];
  const form = fieldForm("edit", fields.filter((f) => editable.includes(f.name)),
    { values: row, edit: true });
  const problem = h("div");
  slot.replaceChildren(h("form", { id: "edit-form", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const r = await call(method, onePath.replace("{id}", enc(id)), form.read());
    if (!r.ok) return form.refuse(r, problem);
    await resource([name]);
    return show(document.getElementById("result"), notice(t("saved", { id })));
  } }, h("h2", {}, t("edit.title", { id })), form.fields, problem,
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("save")))));
  slot.querySelector("input, select").focus();
}

export const routes = [
  [/^#\/admin\/?$/, home],
  ...profileRoutes,
  ...reasonRoutes,
  ...returnRoutes,
  [/^#\/admin\/([a-z-]+)$/, resource],
];
