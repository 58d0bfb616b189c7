// Picking a wave: claim it, then scan line by line in the wave's walking order into one field
// that stays on the page (a scanner keeps typing into it while answers come back), report a
// line short with its reason code, and sort the units into the wave's orders.
import { enc, get, post } from "./api.js";
import { t } from "./i18n.js";
import { button, h, loading, notice, page, refusal, refusedScan, scanField, show,
  sound } from "./ui.js";

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

export async function wavePage([loc, waveId], _params, who) {
  const main = page(t("wave.title", { id: waveId }), loading());
  const answer = await get(`/pick-waves/${enc(waveId)}`);
  main.lastChild.remove();
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  const view = { who, wave: answer.body, slot: h("div", { id: "result" }), info: h("p"),
    claim: h("div"), heading: h("h2"), where: h("p"), short: h("div"), sort: h("div"),
    lines: h("div"), outcomes: h("div") };
  // One scan field for the whole page: each scan is reported for the line to pick when it is
  // sent (scans go one at a time, in the order read).
  const { form, input } = scanField(t("scan.label"), async (barcode) => {
    const sku = currentSku(view.wave);
    if (!sku) return;
    const sent = await post(`/pick-waves/${enc(view.wave.id)}/picks`,
      { lines: [{ sku, barcodes: [barcode] }] });
    if (!sent.ok) {
      refusedScan(input);
      show(view.slot, refusal(sent));
      return;
    }
    sound("ok");
    show(view.slot, notice(t("scan.ok", { sku, barcode })));
    render(view, sent.body);
  });
  view.input = input;
  view.panel = h("div", { class: "current", id: "current" }, view.heading, view.where, form,
    view.short);
  main.append(h("p", {}, h("a", { href: `#/store/${enc(loc)}` }, t("back.work"))), view.slot,
    view.info, view.claim, view.panel, view.sort, view.lines, view.outcomes);
  render(view, answer.body);
}

function render(view, wave) {
  view.wave = wave;
  const sku = currentSku(wave);
  const progress = Object.fromEntries(wave.skus.map((s) => [s.sku, s]));
  view.info.textContent = `${t(`wavestatus.${wave.status}`)} · ${t(`strategy.${wave.strategy}`,
    {}, wave.strategy)} · ${t("wave.count", { n: wave.fulfilment_count })}`;
  view.claim.replaceChildren(...(wave.status === "open" ? [claimForm(view)] : []));
  const picking = wave.status === "claimed" && sku;
  view.panel.hidden = !picking;
  if (picking) {
    const line = wave.lines.find((l) => l.sku === sku);
    view.heading.textContent = t("wave.now", { sku });
    view.where.replaceChildren(`${t("bin")} ${line.bin || "—"} · ${t("zone")} ${line.zone || "—"} · `,
      h("strong", { id: "count" }, `${progress[sku].picked} / ${progress[sku].quantity}`));
    view.short.replaceChildren(shortForm(view, sku));
    if (document.activeElement !== view.input) setTimeout(() => view.input.focus(), 0);
  }
  view.sort.replaceChildren();
  if (wave.status === "claimed" && !sku) {
    view.sort.append(h("div", { class: "actions" }, button(t("wave.sort"), async () => {
      const sorted = await post(`/pick-waves/${enc(wave.id)}/sort`);
      if (!sorted.ok) return show(view.slot, refusal(sorted));
      show(view.slot, notice(t("wave.sorted")));
      return render(view, sorted.body);
    }, { id: "sort" })));
    // Every line picked or short: the next thing to do is the sort.
    setTimeout(() => document.getElementById("sort")?.focus(), 0);
  }
  view.lines.replaceChildren(h("h2", {}, t("wave.lines")), h("table", {},
    h("thead", {}, h("tr", {}, [t("sku"), t("bin"), t("quantity"), t("picked")].map((c) =>
      h("th", { scope: "col" }, c)))),
    h("tbody", {}, wave.skus.map((s) => h("tr", { class: s.sku === sku ? "current" : "" },
      h("td", {}, s.sku), h("td", {}, wave.lines.filter((l) => l.sku === s.sku)
        .map((l) => l.bin).filter(Boolean).join(", ") || "—"),
      h("td", {}, s.quantity),
      h("td", { class: s.picked >= s.quantity ? "done" : "" }, s.picked,
        s.short_reason ? ` (${t("short")}: ${s.short_reason})` : ""))))));
  view.outcomes.replaceChildren(...(wave.outcomes.length ? [h("h2", {}, t("wave.outcomes")),
    h("ul", {}, wave.outcomes.map((o) => h("li", {}, `${o.fulfilment_id}: ${o.status || o.code} `,
      h("a", { href: `#/store/${enc(wave.location_id)}/fulfilment/${enc(o.fulfilment_id)}` },
        t("open")))))] : []));
}

function claimForm(view) {
  const picker = h("input", { id: "picker", name: "picker", value: view.who.name, required: true });
  return h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    const claimed = await post(`/pick-waves/${enc(view.wave.id)}/claim`, { picker: picker.value });
    if (!claimed.ok) return show(view.slot, refusal(claimed));
    show(view.slot, notice(t("wave.claimed")));
    return render(view, claimed.body);
  } }, h("label", { for: "picker" }, t("wave.picker")), picker,
  h("button", { type: "submit" }, t("wave.claim")));
}

// A short pick: the units in hand are what was scanned, and the rest needs its reason code.
function shortForm(view, sku) {
  const holder = h("div");
  const open = button(t("short.report"), async () => {
    const codes = await get("/reason-codes?usage=short_pick");
    if (!codes.ok) return show(view.slot, refusal(codes));
    const select = h("select", { id: "short-reason", name: "short_reason", required: true },
      h("option", { value: "" }, t("choose")),
      codes.body.items.map((c) => h("option", { value: c.code }, c.label || c.code)));
    const picked = view.wave.skus.find((s) => s.sku === sku).picked;
    holder.replaceChildren(h("form", { class: "inline", onsubmit: async (ev) => {
      ev.preventDefault();
      const answer = await post(`/pick-waves/${enc(view.wave.id)}/picks`,
        { lines: [{ sku, count: picked, short_reason: select.value }] });
      if (!answer.ok) return show(view.slot, refusal(answer));
      show(view.slot, notice(t("short.done", { sku })));
      return render(view, answer.body);
    } }, h("label", { for: "short-reason" }, t("short.reason", { sku, n: picked })), select,
    h("button", { type: "submit" }, t("short.confirm"))));
    return select.focus();
  }, { class: "secondary", id: "short" });
  return h("div", { class: "actions" }, open, holder);
}
