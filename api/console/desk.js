// The analyst desk: the task queue (escalated first, then soonest due), claiming, and
// completing each kind with the outcome it takes; a fraud review shows its score and
// reasons, the customer's history and the order.
import { enc, get, post, query } from "./api.js";
import { t } from "./i18n.js";
import { button, h, kv, loading, money, notice, page, refusal, show, table, when } from "./ui.js";
import { orderDetail } from "./orders.js";

const KINDS = ["fraud_review", "payment_exception", "return_qc", "delivery_exception", "pick",
  "vas", "recount"];
const STATUSES = ["open", "done", "cancelled"];

function select(name, values, chosen, label) {
  return h("select", { id: name, name }, h("option", { value: "" }, t("all")),
    values.map((v) => h("option", { value: v, selected: v === chosen }, label(v))));
}

async function queue(_m, params) {
  const main = page(t("desk.title"), loading());
  const chosen = params.get("status") ?? "open";
  const wanted = { kind: params.get("kind") || "", status: chosen === "any" ? "" : chosen,
    assignee: params.get("assignee") || "", overdue: params.get("overdue") || "" };
  const answer = await get(`/tasks${query({ ...wanted, limit: 100 })}`);
  main.lastChild.remove();
  const kind = select("kind", KINDS, wanted.kind, (k) => t(`task.${k}`, {}, k));
  const status = select("status", STATUSES, wanted.status, (s) => t(`taskstatus.${s}`, {}, s));
  status.firstChild.value = "any";
  const assignee = select("assignee", ["me", "none"], wanted.assignee, (a) => t(`assignee.${a}`));
  const overdue = h("input", { type: "checkbox", id: "overdue", name: "overdue",
    checked: wanted.overdue === "true" });
  main.append(h("form", { class: "inline", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/desk${query({ kind: kind.value, status: status.value,
      assignee: assignee.value, overdue: overdue.checked ? "true" : "" })}`;
  } }, h("label", { for: "kind" }, t("task.kind")), kind,
  h("label", { for: "status" }, t("task.status")), status,
  h("label", { for: "assignee" }, t("task.assignee")), assignee,
  h("label", { for: "overdue" }, overdue, " ", t("overdue")),
  h("button", { type: "submit", class: "secondary" }, t("filter"))));
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  const tasks = answer.body.items;
  main.append(tasks.length ? table(t("desk.title"), [
    [t("task.kind"), (x) => h("a", { href: `#/desk/task/${enc(x.id)}` }, t(`task.${x.kind}`, {}, x.kind))],
    [t("order"), (x) => h("a", { href: `#/orders/${enc(x.order_id)}` }, x.order_id)],
    [t("due.label"), (x) => h("span", { class: x.overdue ? "overdue" : "" }, when(x.due_at))],
    [t("task.flags"), (x) => [x.escalated ? h("span", { class: "tag esc" }, t("escalated")) : null,
      x.overdue ? h("span", { class: "tag esc" }, t("overdue")) : null]],
    [t("task.assignee"), (x) => x.assignee || t("assignee.none")],
    [t("task.status"), (x) => t(`taskstatus.${x.status}`, {}, x.status)],
  ], tasks) : h("p", {}, t("desk.empty")));
}

async function taskPage([id], _params, who) {
  const main = page(t("task.title", { id }), loading());
  const answer = await get(`/tasks/${enc(id)}`);
  main.lastChild.remove();
  main.append(h("p", {}, h("a", { href: "#/desk" }, t("back.desk"))));
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  const task = answer.body;
  const slot = h("div", { id: "result" });
  const mine = task.assignee === `${who.role}:${who.name}`;
  main.append(kv([
    [t("task.kind"), t(`task.${task.kind}`, {}, task.kind)],
    [t("task.status"), t(`taskstatus.${task.status}`, {}, task.status)],
    [t("order"), h("a", { href: `#/orders/${enc(task.order_id)}` }, task.order_id)],
    [t("due.label"), h("span", { class: task.overdue ? "overdue" : "" }, when(task.due_at))],
    [t("escalated.label"), task.escalated ? t("yes") : t("no")],
    [t("task.assignee"), task.assignee || t("assignee.none")],
  ]), slot);
  // A review's facts come before the decision: the score, each reason, the customer's orders.
  if (task.kind === "fraud_review") main.append(await fraudPanel(task));
  if (task.status === "open") {
    main.append(h("div", { class: "actions" },
      mine ? button(t("task.release"), async () => {
        const r = await post(`/tasks/${enc(id)}/release`);
        if (!r.ok) return show(slot, refusal(r));
        return taskPage([id], _params, who);
      }, { class: "secondary" })
        : button(t("task.claim"), async () => {
          const r = await post(`/tasks/${enc(id)}/claim`);
          if (!r.ok) return show(slot, refusal(r));
          await taskPage([id], _params, who);
          return show(document.getElementById("result"), notice(t("task.claimed")));
        }, { id: "claim" })));
    const form = outcomeForm(task, slot);
    if (form) main.append(h("h2", {}, t("task.complete")), form);
  } else if (task.outcome) {
    main.append(h("h2", {}, t("task.outcome")), h("pre", {}, JSON.stringify(task.outcome, null, 2)));
  }
  main.append(h("h2", {}, t("order")), await orderDetail(task.order_id));
}

async function fraudPanel(task) {
  const p = task.payload || {};
  const order = await get(`/orders/${enc(task.order_id)}`);
  const customer = order.ok ? order.body.customer_id : null;
  const history = customer ? await get(`/orders${query({ customer_id: customer, limit: 20 })}`) : null;
  const reasons = p.reasons || [];
  return h("section", { "aria-labelledby": "fraud" }, h("h2", { id: "fraud" }, t("fraud.title")),
    h("p", { id: "score" }, t("fraud.score", { score: p.score ?? "—" }), " · ",
      money(p.total, p.currency)),
    table(t("fraud.reasons"), [[t("fraud.reason"), (r) => h("code", {}, r.code)],
      [t("fraud.weight"), (r) => `+${r.points}`], [t("fraud.detail"), (r) => r.detail]], reasons),
    h("h2", {}, t("fraud.history", { customer: customer || "—" })),
    !history ? h("p", {}, "—") : !history.ok ? refusal(history) : table(t("fraud.history", { customer }), [
      [t("order"), (o) => h("a", { href: `#/orders/${enc(o.order_id)}` }, o.order_id)],
      [t("task.status"), (o) => t(`orderstatus.${o.status}`, {}, o.status)],
      [t("total"), (o) => money(o.total, o.currency)],
      [t("created"), (o) => when(o.created_at)],
    ], history.body.items));
}

// Each kind its outcome, as POST /tasks/{id}/complete takes it.
function outcomeForm(task, slot) {
  const submit = (build) => async (ev) => {
    ev.preventDefault();
    let body;
    try {
      body = build();
    } catch (err) {
      return show(slot, refusal({ status: 422, body: { code: "invalid_json", reason: String(err) } }));
    }
    const r = await post(`/tasks/${enc(task.id)}/complete`, body);
    if (!r.ok) return show(slot, refusal(r));
    return show(slot, notice(t("task.completed")));
  };
  const reason = (id) => h("input", { id, name: id, required: true, maxlength: 500 });
  if (task.kind === "fraud_review" || task.kind === "payment_exception") {
    const options = task.kind === "fraud_review" ? ["approve", "reject"]
      : ["retry", "reauthorize", "write_off"];
    const field = task.kind === "fraud_review" ? "decision" : "action";
    const choice = h("select", { id: "decision", name: field },
      options.map((o) => h("option", { value: o }, t(`outcome.${o}`))));
    const why = reason("reason");
    return h("form", { onsubmit: submit(() => ({ [field]: choice.value, reason: why.value })) },
      h("label", { for: "decision" }, t(`outcome.${field}`)), choice,
      h("label", { for: "reason" }, t("outcome.reason")), why,
      h("div", { class: "actions" }, h("button", { type: "submit", id: "complete" }, t("task.complete"))));
  }
  if (task.kind === "delivery_exception") {
    const choice = h("select", { id: "resolution", name: "resolution" },
      ["reshipped", "refunded", "redelivery_booked", "closed"].map((o) =>
        h("option", { value: o }, t(`outcome.${o}`))));
    const note = reason("note");
    return h("form", { onsubmit: submit(() => ({ resolution: choice.value, note: note.value })) },
      h("label", { for: "resolution" }, t("outcome.resolution")), choice,
      h("label", { for: "note" }, t("outcome.note")), note,
      h("div", { class: "actions" }, h("button", { type: "submit", id: "complete" }, t("task.complete"))));
  }
  if (task.kind === "return_qc") return gradesForm(task, submit);
  return h("p", { class: "muted" }, t("task.byworkflow"));
}

// A grade for the units of each line that came back (a return_qc reason code each); units of
// one line graded differently are given line by line under "As JSON".
function gradesForm(task, submit) {
  const lines = task.payload.lines || [];
  const rows = lines.map((l) => ({ l,
    grade: h("select", { id: `grade-${l.line_id}`, name: `grade-${l.line_id}` },
      h("option", { value: "qc_resellable" }, "qc_resellable")) }));
  get("/reason-codes?usage=return_qc").then((codes) => {
    if (!codes.ok) return;
    for (const { grade } of rows) {
      grade.replaceChildren(...codes.body.items.map((c) =>
        h("option", { value: c.code, selected: c.code === "qc_resellable" }, c.label || c.code)));
    }
  });
  const raw = h("textarea", { id: "grades", name: "grades", rows: 6 });
  const build = () => (raw.value.trim() ? { grades: JSON.parse(raw.value) }
    : { grades: rows.map(({ l, grade }) => ({ line_id: l.line_id, grade: grade.value,
      quantity: l.quantity })) });
  return h("form", { onsubmit: submit(build) },
    rows.map(({ l, grade }) => h("div", { class: "field" },
      h("label", { for: grade.id }, t("outcome.gradeof", { sku: l.sku, n: l.quantity })), grade)),
    h("details", {}, h("summary", {}, t("outcome.asjson")),
      h("label", { for: "grades" }, t("outcome.grades")), raw),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "complete" }, t("task.complete"))));
}

export const routes = [
  [/^#\/desk\/?$/, queue],
  [/^#\/desk\/task\/([^/]+)$/, taskPage],
];
