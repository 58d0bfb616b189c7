// An order's appeasements (GET /orders/{id}/appeasements): money customer service gave back
// without a return, and how its refund went. An analyst grants one from the order's page
// (POST .../appeasements; docs/api.md "Appeasements"), under an Idempotency-Key kept until it
// is granted, so a second click or a retry after a lost answer grants nothing more.
import { enc, get, post } from "./api.js";
import { t } from "./i18n.js";
import { h, money, notice, refusal, show, table, when } from "./ui.js";

const newKey = () => `console-${crypto.randomUUID()}`;

// The section, filled now and again after each grant; a node to put in the order's page.
export function appeasementsSection(order, withActions) {
  const id = order.order_id;
  const section = h("section", { "aria-labelledby": "appeasements-title" });
  let key = newKey();
  const fill = async (outcome) => {
    const [answer, reasons] = await Promise.all([get(`/orders/${enc(id)}/appeasements`),
      withActions ? get("/reason-codes?usage=appeasement") : null]);
    const title = h("h2", { id: "appeasements-title", tabindex: "-1" }, t("appeasements"));
    const slot = h("div", { id: "appeasements-result" }, outcome || "");
    if (!answer.ok) return section.replaceChildren(title, refusal(answer));
    const items = answer.body.items;
    const parts = [title, slot, items.length ? table(t("appeasements"), [
      [t("appeasement"), (a) => a.id],
      [t("appeasements.amount"), (a) => money(a.amount, a.currency)],
      [t("appeasements.reason"), (a) => a.reason_code],
      [t("state"), (a) => t(`appeasementstatus.${a.status}`, {}, a.status)
        + (a.code ? ` (${a.code})` : "")],
      [t("appeasements.refunded"), (a) => money(a.refunded, a.currency)],
      [t("appeasements.by"), (a) => a.requested_by],
      [t("created"), (a) => when(a.created_at)],
      [t("appeasements.note"), (a) => a.note],
    ], items) : h("p", {}, t("appeasements.none"))];
    if (withActions && reasons && reasons.ok) parts.push(grantForm(order, reasons.body.items, slot));
    return section.replaceChildren(...parts);
  };
  const grantForm = (o, codes, slot) => {
    const amount = h("input", { id: "appease-amount", name: "amount", type: "number", min: "0.01",
      step: "0.01", required: true, inputmode: "decimal" });
    const reason = h("select", { id: "appease-reason", name: "reason_code", required: true },
      codes.filter((c) => c.active).map((c) => h("option", { value: c.code }, `${c.label} (${c.code})`)));
    const line = h("select", { id: "appease-line", name: "line_id" },
      [h("option", { value: "" }, t("appeasements.whole_order")),
        ...o.lines.map((l) => h("option", { value: l.line_id }, `${l.line_id} · ${l.sku}`))]);
    const note = h("textarea", { id: "appease-note", name: "note", required: true, maxlength: "1000",
      rows: "2" });
    const grant = async (ev) => {
      ev.preventDefault();
      const body = { amount: Math.round(Number(amount.value) * 100), reason_code: reason.value,
        note: note.value.trim() };
      if (line.value) body.line_id = line.value;
      const r = await post(`/orders/${enc(id)}/appeasements`, body, { "Idempotency-Key": key });
      if (!r.ok) return show(slot, refusal(r));
      key = newKey();
      await fill(notice(t("appeasements.granted", { amount: money(r.body.amount, r.body.currency) })));
      return document.getElementById("appeasements-title").focus();
    };
    return h("form", { onsubmit: grant }, h("h3", {}, t("appeasements.grant")),
      h("div", { class: "field" }, h("label", { for: "appease-amount" },
        t("appeasements.amount_in", { currency: o.currency })), amount),
      h("div", { class: "field" }, h("label", { for: "appease-reason" }, t("appeasements.reason")), reason),
      h("div", { class: "field" }, h("label", { for: "appease-line" }, t("line")), line),
      h("div", { class: "field" }, h("label", { for: "appease-note" }, t("appeasements.note")), note),
      h("button", { type: "submit", class: "secondary" }, t("appeasements.give")));
  };
  fill();
  return section;
}
