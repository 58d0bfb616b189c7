// Sourcing and fulfilment profiles: the versions, and one version's document to edit as a
// draft, validate, try (sourcing: on past orders, or on one order; fulfilment: where it would run), publish,
// roll back.
import { call, enc, get, post, query } from "./api.js";
import { t } from "./i18n.js";
import { button, h, kv, loading, notice, page, refusal, show, table, when } from "./ui.js";

const KINDS = {
  sourcing: { base: "/sourcing/profiles", create: (id) => `/sourcing/profiles/${enc(id)}/versions` },
  fulfilment: { base: "/fulfilment/profiles", create: () => "/fulfilment/profiles" },
};

async function versions([kind]) {
  const spec = KINDS[kind];
  const main = page(t(`admin.${kind}`), loading());
  const answer = await get(spec.base);
  main.lastChild.remove();
  main.append(h("p", {}, h("a", { href: "#/admin" }, t("back.admin"))));
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  main.append(answer.body.items.length ? table(t(`admin.${kind}`), [
    [t("profile"), (v) => h("a", { href: `#/admin/${kind}/${enc(v.id)}/${v.version}` },
      `${v.id} v${v.version}`)],
    [t("state"), (v) => t(`profilestatus.${v.status}`, {}, v.status)],
    [t("profile.scope"), (v) => v.channel ?? (v.applies_to ? JSON.stringify(v.applies_to) : t("profile.default"))],
    [t("created"), (v) => `${when(v.created_at)} ${v.created_by || ""}`],
    [t("profile.published"), (v) => when(v.published_at)],
  ], answer.body.items) : h("p", {}, t("none")), newProfile(kind, spec));
}

const EXAMPLES = {
  sourcing: { channel: "web-fr", strategies: [{ name: "nearest", criteria: [{ criterion: "distance" }] }],
    fallback: { name: "any", criteria: [{ criterion: "distance" }] } },
  fulfilment: { name: "Stores", applies_to: { location_type: "store" },
    steps: [{ type: "pick", mode: "scan_each" }, { type: "pack" }, { type: "handover" },
      { type: "ready_for_collection" }, { type: "collected" }] },
};

// A new profile: its id and its first draft.
function newProfile(kind, spec) {
  const slot = h("div");
  const id = h("input", { id: "new-id", name: "id", required: true, pattern: "[A-Za-z0-9._:-]+" });
  const doc = h("textarea", { id: "new-document", name: "document", rows: 10 },
    JSON.stringify(EXAMPLES[kind], null, 2));
  return h("section", { "aria-labelledby": "new-profile" },
    h("h2", { id: "new-profile" }, t("profile.new")), slot,
    h("form", { onsubmit: async (ev) => {
      ev.preventDefault();
      let body;
      try {
        body = JSON.parse(doc.value);
      } catch (err) {
        return show(slot, refusal({ status: 422, body: { code: "invalid_json", reason: String(err) } }));
      }
      const r = await post(spec.create(id.value.trim()),
        kind === "fulfilment" ? { ...body, id: id.value.trim() } : body);
      if (!r.ok) return show(slot, refusal(r));
      location.hash = `#/admin/${kind}/${enc(r.body.id)}/${r.body.version}`;
      return null;
    } }, h("label", { for: "new-id" }, t("profile.id")), id,
    h("label", { for: "new-document" }, t("profile.first")), doc,
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("profile.create")))));
}

// The document as the API takes it back: without the version's own id, version and status.
function documentOf(kind, profile) {
  const doc = { ...profile };
  delete doc.version;
  delete doc.status;
  if (kind === "sourcing") delete doc.id;
  return doc;
}

async function version([kind, id, v]) {
  const spec = KINDS[kind];
  const main = page(t("profile.title", { id, v }), loading());
  const answer = await get(`${spec.base}/${enc(id)}/versions/${enc(v)}`);
  main.lastChild.remove();
  main.append(h("p", {}, h("a", { href: `#/admin/${kind}` }, t(`admin.${kind}`))));
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  const stored = answer.body;
  const draft = stored.status === "draft";
  const slot = h("div", { id: "result" });
  const editor = h("textarea", { id: "document", name: "document", rows: 22, spellcheck: "false" },
    JSON.stringify(documentOf(kind, stored.profile), null, 2));
  const results = h("div", { id: "trial" });
  const parsed = () => {
    try {
      return JSON.parse(editor.value);
    } catch (err) {
      show(slot, refusal({ status: 422, body: { code: "invalid_json", field: "document", reason: String(err) } }));
      return null;
    }
  };
  const withDoc = (fn) => async () => {
    const doc = parsed();
    if (doc) await fn(doc);
  };
  const go = (path) => { location.hash = path; };
  const actions = [
    button(t("profile.validate"), withDoc(async (doc) => {
      const r = await post(`${spec.base}/validate`, doc);
      show(slot, r.ok ? notice(t("profile.valid")) : refusal(r));
    }), { id: "validate", class: "secondary" }),
    draft ? button(t("profile.save"), withDoc(async (doc) => {
      const r = await call("PUT", `${spec.base}/${enc(id)}/versions/${enc(v)}`, doc);
      show(slot, r.ok ? notice(t("profile.saved", { id, v })) : refusal(r));
    }), { id: "save" }) : null,
    button(t("profile.newdraft"), withDoc(async (doc) => {
      const r = await post(spec.create(id), kind === "fulfilment" ? { ...doc, id } : doc);
      if (!r.ok) return show(slot, refusal(r));
      go(`#/admin/${kind}/${enc(r.body.id)}/${r.body.version}`);
      return null;
    }), { id: "newdraft", class: "secondary" }),
    draft ? button(t("profile.publish"), async () => {
      const r = await post(`${spec.base}/${enc(id)}/versions/${enc(v)}/publish`);
      if (!r.ok) return show(slot, refusal(r));
      await version([kind, id, v]);
      return show(document.getElementById("result"), notice(t("profile.published.now", { id, v })));
    }, { id: "publish" }) : null,
    stored.status === "active" ? button(t("profile.rollback"), async () => {
      const r = await post(`${spec.base}/${enc(id)}/rollback`);
      if (!r.ok) return show(slot, refusal(r));
      go(`#/admin/${kind}/${enc(r.body.id)}/${r.body.version}`);
      return null;
    }, { id: "rollback", class: "secondary" }) : null,
    kind === "fulfilment" && stored.status === "active" ? button(t("profile.retire"), async () => {
      const r = await post(`${spec.base}/${enc(id)}/retire`);
      if (!r.ok) return show(slot, refusal(r));
      await version([kind, id, v]);
      return show(document.getElementById("result"), notice(t("profile.retired", { id })));
    }, { id: "retire", class: "secondary" }) : null,
  ];
  main.append(h("p", {}, t(`profilestatus.${stored.status}`, {}, stored.status),
    stored.published_at ? ` · ${t("profile.published")} ${when(stored.published_at)}` : ""),
  slot, h("label", { for: "document" }, draft ? t("profile.edit") : t("profile.readonly")), editor,
  h("div", { class: "actions" }, actions),
  ...(kind === "sourcing" ? [replayForm(parsed, results, slot), orderForm(parsed, results, slot)]
    : [inForceForm(results, slot)]), results);
}

// A sourcing draft tried over past orders: each planned as it was and with the draft.
function replayForm(parsed, results, slot) {
  const last = h("input", { id: "last", name: "last", type: "number", min: 1, max: 1000, value: 20 });
  const channel = h("input", { id: "trial-channel", name: "channel" });
  return h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    const doc = parsed();
    if (!doc) return;
    const body = { profile: doc, last: Number(last.value) };
    if (channel.value.trim()) body.channel = channel.value.trim();
    const r = await post("/sourcing/replay", body);
    if (!r.ok) return show(slot, refusal(r));
    const tot = r.body.totals;
    return results.replaceChildren(h("h2", {}, t("trial.title")),
      h("p", { id: "trial-totals" }, t("trial.totals", { orders: tot.orders, changed: tot.changed })),
      r.body.orders.length ? table(t("trial.title"), [
        [t("order"), (o) => h("a", { href: `#/orders/${enc(o.order_id)}` }, o.order_id)],
        [t("trial.before"), (o) => `${o.sourced_with}: ${JSON.stringify(o.before)}`],
        [t("trial.after"), (o) => JSON.stringify(o.after)],
      ], r.body.orders) : h("p", {}, t("trial.nochange")),
      h("details", {}, h("summary", {}, t("details")), h("pre", {}, JSON.stringify(tot, null, 2))));
  } }, h("label", { for: "last" }, t("trial.last")), last,
  h("label", { for: "trial-channel" }, t("orders.channel")), channel,
  h("button", { type: "submit", id: "simulate" }, t("trial.run")));
}

// A sourcing draft tried on one stored order: its plan now, and how it was first sourced.
function orderForm(parsed, results, slot) {
  const orderId = h("input", { id: "sim-order", name: "order_id", required: true, autocomplete: "off" });
  const list = (xs) => (xs && xs.length ? xs.join(", ") : "—");
  return h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    const doc = parsed();
    if (!doc) return;
    const r = await post("/sourcing/simulate", { order_id: orderId.value.trim(), profile: doc });
    if (!r.ok) return show(slot, refusal(r));
    show(slot, null);
    const sim = r.body;
    const was = sim.as_sourced;
    const moved = () => t("sim.changed",
      { added: list(was.locations_added), dropped: list(was.locations_dropped) });
    const difference = !was ? t("sim.notsourced") : was.changed === null ? t("sim.unknown")
      : was.changed ? moved() : t("sim.same");
    return results.replaceChildren(h("h2", { id: "sim-title" }, t("sim.title", { id: sim.order_id })),
      kv([[t("profile"), sim.profile], [t("strategy"), sim.plan.strategy],
        [t("sim.locations"), h("span", { id: "sim-locations" }, list(sim.plan.locations))],
        [t("trial.before"), was ? `${was.profile}: ${list(was.locations)}` : "—"],
        [t("sim.difference"), h("span", { id: "sim-difference" }, difference)],
        [t("unplaced"), sim.plan.unplaced.length ? `${sim.plan.unplaced
          .map((d) => `${d.sku} × ${d.qty}`).join(", ")} (${sim.plan.unplaced_action})` : "—"]]),
      sim.plan.allocations.length ? table(t("sim.allocations"), [
        [t("location"), (a) => a.location_id], [t("line"), (a) => a.line_id],
        [t("sku"), (a) => a.sku], [t("quantity"), (a) => String(a.qty)],
      ], sim.plan.allocations) : h("p", {}, t("sim.noallocation")),
      h("details", {}, h("summary", {}, t("sourcing.explanation")),
        h("pre", {}, JSON.stringify(sim.explanation, null, 2))));
  } }, h("label", { for: "sim-order" }, t("sim.order")), orderId,
  h("button", { type: "submit", id: "simulate-order" }, t("sim.run")));
}

// Which fulfilment profile a fulfilment at a location would run, and why.
function inForceForm(results, slot) {
  const loc = h("input", { id: "if-location", name: "location_id", required: true });
  const channel = h("input", { id: "if-channel", name: "channel", required: true, value: "web-fr" });
  const method = h("select", { id: "if-method", name: "delivery_method" },
    ["ship", "collect"].map((m) => h("option", { value: m }, t(`method.${m}`))));
  return h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    const r = await get(`/fulfilment/profiles/in-force${query({ location_id: loc.value.trim(),
      channel: channel.value.trim(), delivery_method: method.value })}`);
    if (!r.ok) return show(slot, refusal(r));
    return results.replaceChildren(h("h2", {}, t("inforce.title")), h("p", {}, r.body.reason || ""),
      h("pre", {}, JSON.stringify(r.body, null, 2)));
  } }, h("label", { for: "if-location" }, t("location")), loc,
  h("label", { for: "if-channel" }, t("orders.channel")), channel,
  h("label", { for: "if-method" }, t("method")), method,
  h("button", { type: "submit", class: "secondary" }, t("inforce.check")));
}

export const routes = [
  [/^#\/admin\/(sourcing|fulfilment)$/, versions],
  [/^#\/admin\/(sourcing|fulfilment)\/([^/]+)\/(\d+)$/, version],
];
