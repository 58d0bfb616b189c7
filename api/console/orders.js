// Order search (id, customer, status, channel, dates) and one order: its lines, fraud
// assessment, payment, fulfilments and shipments, sourcing explanation, returns and timeline,
// the money given back without a return (appeasements.js) and the messages sent to the customer
// (messages.js).
import { enc, get, post, query } from "./api.js";
import { t } from "./i18n.js";
import { appeasementsSection } from "./appeasements.js";
import { messagesSection } from "./messages.js";
import { button, h, kv, loading, money, notice, page, refusal, show, table, when } from "./ui.js";

const STATUSES = ["RECEIVED", "FRAUD_CHECK", "AWAITING_REVIEW", "SOURCING", "AWAITING_STOCK",
  "AUTHORIZING_PAYMENT", "IN_FULFILMENT", "COMPLETED", "CANCELLED", "DELIVERED"];

function field(id, label, attrs = {}) {
  const input = h("input", { id, name: id, ...attrs });
  return [input, h("div", { class: "field" }, h("label", { for: id }, label), input)];
}

// A date typed in the form is a day in UTC: from its start, to its end.
function day(value, end) {
  return value ? `${value}T${end ? "23:59:59" : "00:00:00"}Z` : "";
}

async function search(_m, params) {
  const main = page(t("orders.title"), loading());
  const [id, idField] = field("order-id", t("orders.id"), { value: params.get("id") || "" });
  const [customer, customerField] = field("customer", t("orders.customer"),
    { value: params.get("customer_id") || "" });
  const [channel, channelField] = field("channel", t("orders.channel"), { value: params.get("channel") || "" });
  const [from, fromField] = field("from", t("orders.from"), { type: "date", value: params.get("from") || "" });
  const [to, toField] = field("to", t("orders.to"), { type: "date", value: params.get("to") || "" });
  const status = h("select", { id: "status", name: "status" }, h("option", { value: "" }, t("all")),
    STATUSES.map((s) => h("option", { value: s, selected: params.get("status") === s },
      t(`orderstatus.${s}`, {}, s))));
  const form = h("form", { role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    if (id.value.trim()) {
      location.hash = `#/orders/${enc(id.value.trim())}`;
      return;
    }
    location.hash = `#/orders${query({ customer_id: customer.value.trim(), status: status.value,
      channel: channel.value.trim(), from: from.value, to: to.value })}`;
  } }, h("div", { class: "cols" }, idField, customerField,
    h("div", { class: "field" }, h("label", { for: "status" }, t("orders.status")), status),
    channelField, fromField, toField),
  h("button", { type: "submit" }, t("search")));
  main.lastChild.remove();
  main.append(form);
  const answer = await get(`/orders${query({ customer_id: params.get("customer_id"),
    status: params.get("status"), channel: params.get("channel"),
    created_from: day(params.get("from"), false), created_to: day(params.get("to"), true),
    limit: 50 })}`);
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  main.append(answer.body.items.length ? table(t("orders.title"), [
    [t("order"), (o) => h("a", { href: `#/orders/${enc(o.order_id)}` }, o.order_id)],
    [t("orders.status"), (o) => t(`orderstatus.${o.status}`, {}, o.status)],
    [t("orders.channel"), (o) => o.channel],
    [t("orders.customer"), (o) => o.customer_id],
    [t("total"), (o) => money(o.total, o.currency)],
    [t("fraud.short"), (o) => o.fraud_score ?? "—"],
    [t("created"), (o) => when(o.created_at)],
  ], answer.body.items) : h("p", {}, t("orders.none")));
}

async function orderPage([id]) {
  const main = page(t("order.title", { id }), loading());
  const node = await orderDetail(id, true);
  main.lastChild.remove();
  main.append(h("p", {}, h("a", { href: "#/orders" }, t("back.orders"))), node);
}

// One order, as GET /orders/{id} and the reads beside it answer; a node to put in a page.
export async function orderDetail(id, withActions = false) {
  const answer = await get(`/orders/${enc(id)}`);
  if (!answer.ok) return refusal(answer);
  const o = answer.body;
  const [sourcing, returns] = await Promise.all([get(`/orders/${enc(id)}/sourcing`),
    get(`/orders/${enc(id)}/returns`)]);
  const slot = h("div");
  const parts = [h("p", { id: "order-status" }, t(`orderstatus.${o.status}`, {}, o.status),
    o.cancel_reason ? ` (${o.cancel_reason})` : ""), slot,
  kv([[t("orders.channel"), o.channel], [t("orders.customer"), `${o.customer_id} (${o.customer_tier})`],
    [t("total"), money(o.total, o.currency)], [t("method"), t(`method.${o.delivery_method}`, {}, o.delivery_method)],
    [t("created"), when(o.created_at)]])];
  if (withActions && !["COMPLETED", "CANCELLED", "DELIVERED"].includes(o.status)) {
    parts.push(h("div", { class: "actions" }, button(t("order.cancel"), async () => {
      if (!window.confirm(t("order.cancel.confirm", { id }))) return null;
      const r = await post(`/orders/${enc(id)}/cancel`, { reason: "customer_request" });
      return show(slot, r.ok ? notice(t("order.cancelled")) : refusal(r));
    }, { class: "secondary" })));
  }
  parts.push(h("h2", {}, t("lines")), table(t("lines"), [
    [t("line"), (l) => l.line_id], [t("sku"), (l) => l.sku], [t("quantity"), (l) => l.quantity],
    [t("price"), (l) => money(l.unit_price, o.currency)], [t("state"), (l) => l.state],
    [t("shipped"), (l) => l.shipped], [t("cancelled"), (l) => l.cancelled || "—"],
  ], o.lines));
  if (o.fraud) {
    parts.push(h("h2", {}, t("fraud.title")), kv([[t("fraud.short"), o.fraud.score],
      [t("fraud.decision"), o.fraud.review_decision || o.fraud.decision],
      [t("fraud.reviewed"), o.fraud.reviewed_by ? `${o.fraud.reviewed_by}: ${o.fraud.review_reason}` : "—"],
      [t("fraud.reasons"), (o.fraud.reasons || []).map((r) => `${r.code} +${r.points}`).join(", ")]]));
  }
  const pay = o.payment;
  parts.push(h("h2", {}, t("payment")), kv([[t("state"), pay.state],
    [t("payment.authorized"), money(pay.authorized, pay.currency)],
    [t("payment.captured"), money(pay.captured, pay.currency)],
    [t("payment.voided"), money(pay.voided, pay.currency)],
    [t("payment.failures"), (pay.capture_failures || []).join(", ") || "—"]]));
  parts.push(h("h2", {}, t("shipments")), o.fulfilments.length ? table(t("shipments"), [
    [t("fulfilment"), (f) => f.fulfilment_id], [t("location"), (f) => f.location_id],
    [t("state"), (f) => t(`status.${f.status}`, {}, f.status)],
    [t("tracking"), (f) => f.tracking_number ? `${f.carrier} ${f.tracking_number}` : "—"],
    [t("delivery"), (f) => f.delivery_status ? `${f.delivery_status} ${when(f.delivered_at)}` : "—"],
  ], o.fulfilments) : h("p", {}, "—"));
  parts.push(h("h2", {}, t("sourcing")), o.sourcing.length ? table(t("sourcing"), [
    [t("step"), (s) => s.step], [t("profile"), (s) => s.profile], [t("strategy"), (s) => s.strategy],
    [t("locations"), (s) => s.locations.join(", ")], [t("unplaced"), (s) => s.unplaced_units],
  ], o.sourcing) : h("p", {}, "—"));
  if (sourcing.ok) {
    parts.push(h("details", {}, h("summary", {}, t("sourcing.explanation")),
      h("pre", {}, JSON.stringify(sourcing.body, null, 2))));
  }
  parts.push(h("h2", {}, t("returns")), !returns.ok ? refusal(returns)
    : returns.body.items && returns.body.items.length ? table(t("returns"), [
      [t("return"), (r) => r.return_id], [t("state"), (r) => r.status],
      [t("refund"), (r) => `${r.refund_state} ${money(r.refunded, r.currency)}`],
    ], returns.body.items) : h("p", {}, "—"));
  parts.push(appeasementsSection(o, withActions));
  parts.push(messagesSection(id, withActions));
  parts.push(h("h2", {}, t("timeline")), table(t("timeline"), [
    [t("when"), (e) => when(e.at)], [t("event"), (e) => e.type],
    [t("orders.status"), (e) => e.status || ""], [t("actor"), (e) => e.actor],
    [t("detail"), (e) => Object.keys(e.detail || {}).length ? h("code", {}, JSON.stringify(e.detail)) : ""],
  ], o.timeline));
  return h("div", { class: "order" }, parts);
}

export const routes = [
  [/^#\/orders\/?$/, search],
  [/^#\/orders\/([^/]+)$/, orderPage],
];
