// Store pages: the location's work list, soonest due first, and picking a wave by scanning.
import { enc, get, post, query } from "./api.js";
import { t } from "./i18n.js";
import { button, h, loading, notice, page, refusal, refusedScan, scanField, show, sound,
  when } from "./ui.js";
import { fulfilmentPage, receiveReturnPage } from "./fulfilment.js";

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


function storePicker() {
  const input = h("input", { id: "loc", name: "loc", required: true });
  page(t("store.choose"), h("form", { class: "inline", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/store/${enc(input.value.trim())}`;
  } }, h("label", { for: "loc" }, t("location")), input,
  h("button", { type: "submit" }, t("open"))));
  input.focus();
}

// The SKU being picked: the first line, in the picker's order, whose SKU still needs units
// and was not reported short.
function currentSku(wave) {
  const progress = Object.fromEntries(wave.skus.map((s) => [s.sku, s]));
  const line = wave.lines.find((l) => {
    const p = progress[l.sku];
    return p && p.picked < p.quantity && !p.short_reason;
  });
  return line ? line.sku : null;
}

async function wavePage([loc, waveId], _params, who) {
  const main = page(t("wave.title", { id: waveId }), loading());
  const answer = await get(`/pick-waves/${enc(waveId)}`);
  main.lastChild.remove();
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  const slot = h("div", { id: "result" });
  const body = h("div");
  main.append(h("p", {}, h("a", { href: `#/store/${enc(loc)}` }, t("back.work"))), slot, body);
  renderWave(body, slot, answer.body, who);
}

function renderWave(body, slot, wave, who) {
  const redraw = (next) => renderWave(body, slot, next, who);
  const progress = Object.fromEntries(wave.skus.map((s) => [s.sku, s]));
  const sku = currentSku(wave);
  const parts = [h("p", {}, `${t(`wavestatus.${wave.status}`)} · ${t(`strategy.${wave.strategy}`,
    {}, wave.strategy)} · ${t("wave.count", { n: wave.fulfilment_count })}`)];
  if (wave.status === "open") {
    const picker = h("input", { id: "picker", name: "picker", value: who.name, required: true });
    parts.push(h("form", { class: "inline", onsubmit: async (ev) => {
      ev.preventDefault();
      const claimed = await post(`/pick-waves/${enc(wave.id)}/claim`, { picker: picker.value });
      if (!claimed.ok) return show(slot, refusal(claimed));
      show(slot, notice(t("wave.claimed")));
      return redraw(claimed.body);
    } }, h("label", { for: "picker" }, t("wave.picker")), picker,
    h("button", { type: "submit" }, t("wave.claim"))));
  }
  if (wave.status === "claimed" && sku) {
    const line = wave.lines.find((l) => l.sku === sku);
    const { form, input } = scanField(t("scan.label"), async (barcode) => {
      const answer = await post(`/pick-waves/${enc(wave.id)}/picks`,
        { lines: [{ sku, barcodes: [barcode] }] });
      if (!answer.ok) {
        refusedScan(input);
        show(slot, refusal(answer));
        return;
      }
      sound("ok");
      show(slot, notice(t("scan.ok", { sku, barcode })));
      redraw(answer.body);
    });
    parts.push(h("div", { class: "current", id: "current" },
      h("h2", {}, t("wave.now", { sku })),
      h("p", {}, `${t("bin")} ${line.bin || "—"} · ${t("zone")} ${line.zone || "—"} · `,
        h("strong", { id: "count" }, `${progress[sku].picked} / ${progress[sku].quantity}`)),
      form, shortForm(wave, sku, slot, redraw)));
    setTimeout(() => input.focus(), 0);
  }
  if (wave.status === "claimed" && !sku) {
    parts.push(h("div", { class: "actions" }, button(t("wave.sort"), async () => {
      const sorted = await post(`/pick-waves/${enc(wave.id)}/sort`);
      if (!sorted.ok) return show(slot, refusal(sorted));
      show(slot, notice(t("wave.sorted")));
      return redraw(sorted.body);
    }, { id: "sort" })));
    // Every line picked or short: the next thing to do is the sort.
    setTimeout(() => document.getElementById("sort")?.focus(), 0);
  }
  parts.push(h("h2", {}, t("wave.lines")), h("table", {},
    h("thead", {}, h("tr", {}, [t("sku"), t("bin"), t("quantity"), t("picked")].map((c) =>
      h("th", { scope: "col" }, c)))),
    h("tbody", {}, wave.skus.map((s) => h("tr", { class: s.sku === sku ? "current" : "" },
      h("td", {}, s.sku), h("td", {}, wave.lines.filter((l) => l.sku === s.sku)
        .map((l) => l.bin).filter(Boolean).join(", ") || "—"),
      h("td", {}, s.quantity),
      h("td", { class: s.picked >= s.quantity ? "done" : "" }, s.picked,
        s.short_reason ? ` (${t("short")}: ${s.short_reason})` : ""))))));
  if (wave.outcomes.length) {
    parts.push(h("h2", {}, t("wave.outcomes")), h("ul", {}, wave.outcomes.map((o) =>
      h("li", {}, `${o.fulfilment_id}: ${o.status || o.code} `,
        h("a", { href: `#/store/${enc(wave.location_id)}/fulfilment/${enc(o.fulfilment_id)}` },
          t("open"))))));
  }
  body.replaceChildren(...parts);
}

// A short pick: the units in hand are what was scanned, and the rest needs its reason code.
function shortForm(wave, sku, slot, redraw) {
  const holder = h("div");
  const open = button(t("short.report"), async () => {
    const codes = await get("/reason-codes?usage=short_pick");
    if (!codes.ok) return show(slot, refusal(codes));
    const select = h("select", { id: "short-reason", name: "short_reason", required: true },
      h("option", { value: "" }, t("choose")),
      codes.body.items.map((c) => h("option", { value: c.code }, c.label || c.code)));
    const picked = wave.skus.find((s) => s.sku === sku).picked;
    holder.replaceChildren(h("form", { class: "inline", onsubmit: async (ev) => {
      ev.preventDefault();
      const answer = await post(`/pick-waves/${enc(wave.id)}/picks`,
        { lines: [{ sku, count: picked, short_reason: select.value }] });
      if (!answer.ok) return show(slot, refusal(answer));
      show(slot, notice(t("short.done", { sku })));
      return redraw(answer.body);
    } }, h("label", { for: "short-reason" }, t("short.reason", { sku, n: picked })), select,
    h("button", { type: "submit" }, t("short.confirm"))));
    return select.focus();
  }, { class: "secondary", id: "short" });
  return h("div", { class: "actions" }, open, holder);
}

export const routes = [
  [/^#\/store\/?$/, workList],
  [/^#\/store\/([^/]+)\/wave\/([^/]+)$/, wavePage],
  [/^#\/store\/([^/]+)\/fulfilment\/([^/]+)$/, fulfilmentPage],
  [/^#\/store\/([^/]+)\/returns$/, receiveReturnPage],
  [/^#\/store\/([^/]+)$/, workList],
];
