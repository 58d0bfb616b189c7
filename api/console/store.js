// Store pages: the location's work list, soonest due first; its routes (a wave, a fulfilment,
// a return to receive).
import { enc, get, post, query } from "./api.js";
import { t } from "./i18n.js";
import { h, loading, page, refusal, show, when } from "./ui.js";
import { fulfilmentPage, receiveReturnPage } from "./fulfilment.js";
import { wavePage } from "./wave.js";

const STRATEGIES = ["by_item", "by_zone", "by_category", "per_order"];
const KINDS = ["wave_to_pick", "fulfilment_to_pick", "fulfilment_to_pack", "service_to_do",
  "parcel_to_hand_over", "collection_waiting", "transfer_to_receive"];

function itemLink(loc, item) {
  if (item.kind === "wave_to_pick") return `#/store/${enc(loc)}/wave/${enc(item.wave_id)}`;
  return `#/store/${enc(loc)}/fulfilment/${enc(item.fulfilment_id)}`;
}

async function workList([loc], params, who) {
  if (!loc) {
    // An admin names the location to work as; a store key goes to its own.
    if (who.location_id) location.replace(`#/store/${enc(who.location_id)}`);
    else storePicker();
    return;
  }
  const main = page(t("work.title", { loc }), loading());
  const kind = params.get("kind") || "";
  const cursor = params.get("cursor") || "";
  const answer = await get(`/locations/${enc(loc)}/work${query({ kind, cursor, limit: 50 })}`);
  main.lastChild.remove();
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  const select = h("select", { id: "kind", name: "kind" }, h("option", { value: "" }, t("all")),
    KINDS.map((k) => h("option", { value: k, selected: k === kind }, t(`kind.${k}`))));
  const filter = h("form", { class: "inline", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/store/${enc(loc)}${query({ kind: select.value })}`;
  } }, h("label", { for: "kind" }, t("work.kind")), select,
  h("button", { type: "submit", class: "secondary" }, t("filter")));
  const strategy = h("select", { id: "strategy", name: "strategy" },
    h("option", { value: "" }, t("strategy.profile")),
    STRATEGIES.map((s) => h("option", { value: s }, t(`strategy.${s}`))));
  const waves = h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    const built = await post(`/locations/${enc(loc)}/pick-waves`,
      strategy.value ? { strategy: strategy.value } : {});
    if (!built.ok) {
      show(slot, refusal(built));
      return;
    }
    location.hash = `#/store/${enc(loc)}/wave/${enc(built.body.id)}`;
  } }, h("label", { for: "strategy" }, t("strategy")), strategy,
  h("button", { type: "submit", id: "build" }, t("wave.build")),
  h("a", { href: `#/store/${enc(loc)}/returns`, class: "button secondary" }, t("return.receive")));
  const slot = h("div");
  const items = answer.body.items;
  const list = items.length
    ? h("ul", { class: "cards", "aria-label": t("work.title", { loc }) }, items.map((item) =>
      h("li", { "data-kind": item.kind },
        h("a", { href: itemLink(loc, item) }, t(`kind.${item.kind}`), " · ",
          item.wave_id || item.fulfilment_id),
        h("div", {}, item.order_id ? `${t("order")} ${item.order_id} · ` : "",
          item.step ? `${t("step")} ${t(`steptype.${item.step_type}`, {}, item.step)}` : "",
          item.service ? ` · ${t(`service.${item.service}`, {}, item.service)} (${item.sku})` : "",
          item.fulfilment_count ? ` · ${t("wave.count", { n: item.fulfilment_count })}` : ""),
        h("div", { class: item.overdue ? "overdue" : "muted" },
          `${t("due")} ${when(item.due_at)}`, item.overdue ? ` · ${t("overdue")}` : ""))))
    : h("p", {}, t("work.empty"));
  const more = answer.body.next_cursor
    ? h("p", {}, h("a", { href: `#/store/${enc(loc)}${query({ kind, cursor: answer.body.next_cursor })}` },
      t("work.more"))) : null;
  main.append(filter, waves, slot, list, more);
}


// A key without a location of its own (an admin) chooses the location whose work to open.
async function storePicker() {
  const input = h("input", { id: "loc", name: "loc", required: true });
  const main = page(t("store.choose"), h("form", { class: "inline", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/store/${enc(input.value.trim())}`;
  } }, h("label", { for: "loc" }, t("location")), input,
  h("button", { type: "submit" }, t("open"))));
  input.focus();
  const listed = await get("/locations");
  if (listed.ok) {
    main.append(h("ul", { class: "cards", "aria-label": t("locations") }, listed.body.items.map((l) =>
      h("li", {}, h("a", { href: `#/store/${enc(l.id)}` }, `${l.name} (${l.id})`),
        h("div", { class: "muted" }, `${l.type}${l.is_open === false ? ` · ${t("closed")}` : ""}`)))));
  }
}

export const routes = [
  [/^#\/store\/?$/, workList],
  [/^#\/store\/([^/]+)\/wave\/([^/]+)$/, wavePage],
  [/^#\/store\/([^/]+)\/fulfilment\/([^/]+)$/, fulfilmentPage],
  [/^#\/store\/([^/]+)\/returns$/, receiveReturnPage],
  [/^#\/store\/([^/]+)$/, workList],
];
