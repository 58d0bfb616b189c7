// One fulfilment at the store: the step it is at, as its fulfilment profile says (pick by
// scan or by count, verify, services, photo, pack, label, handover, ready for collection,
// collect with the customer's code, receive a transfer), and receiving a return.
import { enc, get, post } from "./api.js";
import { t } from "./i18n.js";
import { button, h, loading, notice, page, refusal, refusedScan, scanField, show, sound,
  when } from "./ui.js";

// One fulfilment as the key may see it (a store key: only what its location works now).
async function findFulfilment(_loc, id) {
  return get(`/fulfilments/${enc(id)}`);
}

export async function fulfilmentPage([loc, id]) {
  const main = page(t("fulfilment.title", { id }), loading());
  const answer = await findFulfilment(loc, id);
  main.lastChild.remove();
  main.append(h("p", {}, h("a", { href: `#/store/${enc(loc)}` }, t("back.work"))));
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  const slot = h("div", { id: "result" });
  const body = h("div");
  main.append(slot, body);
  const reload = async (message) => {
    const again = await findFulfilment(loc, id);
    if (!again.ok) return show(slot, refusal(again));
    render(body, slot, again.body, reload);
    if (message) show(slot, notice(message));
    return null;
  };
  render(body, slot, answer.body, reload);
}

function render(body, slot, f, reload) {
  const step = f.current_step;
  const parts = [
    h("p", {}, `${t("order")} ${f.order_id} · ${t(`status.${f.status}`, {}, f.status)} · `,
      t(`method.${f.delivery_method}`, {}, f.delivery_method),
      f.profile ? ` · ${t("profile")} ${f.profile}` : "",
      f.tracking_number ? ` · ${t("tracking")} ${f.tracking_number}` : ""),
    h("table", {}, h("thead", {}, h("tr", {}, [t("line"), t("sku"), t("quantity"),
      t("picked")].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, f.lines.map((l) => h("tr", {}, h("td", {}, l.line_id), h("td", {}, l.sku),
      h("td", {}, l.quantity), h("td", {}, l.picked ?? "—"))))),
  ];
  if (f.steps.length) {
    parts.push(h("h2", {}, t("steps")), h("ol", {}, f.steps.map((s) =>
      h("li", { class: s.status === "active" ? "current" : s.status === "done" ? "done" : "",
        "aria-current": step && s.key === step.key ? "step" : null },
      `${t(`steptype.${s.type}`, {}, s.key)} · ${t(`stepstatus.${s.status}`, {}, s.status)}`,
      s.due_at ? ` · ${t("due")} ${when(s.due_at)}` : "", s.escalated ? ` · ${t("escalated")}` : ""))));
  }
  const action = step ? stepAction(f, step, slot, reload) : legacyAction(f, slot, reload);
  if (action) parts.splice(1, 0, h("section", { class: "current", "aria-labelledby": "action" },
    h("h2", { id: "action" }, step ? t(`steptype.${step.type}`, {}, step.key) : t("next")), action));
  body.replaceChildren(...parts);
}

function act(slot, reload, done) {
  return async (answer) => {
    if (!answer.ok) return show(slot, refusal(answer));
    return reload(done);
  };
}

function stepAction(f, step, slot, reload) {
  const id = enc(f.id);
  const after = act(slot, reload, t("step.done"));
  switch (step.type) {
    case "pick":
      return step.mode === "scan_each" ? scanStep(f, slot, reload, "pick") : countPick(f, slot, reload);
    case "verify":
      return scanStep(f, slot, reload, step.key);
    case "pack":
      return packForm(f, slot, reload);
    case "handover":
      return labelForm(t("handover.label"), "label", async (label) =>
        after(await post(`/fulfilments/${id}/handover`, { label })));
    case "receive":
      return labelForm(t("receive.label"), "label", async (label) =>
        after(await post(`/fulfilments/${id}/receive`, { label })));
    case "collected":
      return collectForm(f, slot, reload);
    default:
      return completeStep(f, step, slot, reload);
  }
}

// Statuses before profiles: pick by count, pack, hand over without a code.
function legacyAction(f, slot, reload) {
  if (f.status === "AWAITING_PICK") return countPick(f, slot, reload);
  if (f.status === "PICKED") return packForm(f, slot, reload);
  if (f.status === "READY_FOR_COLLECTION") {
    return button(t("collected"), async () =>
      act(slot, reload, t("step.done"))(await post(`/fulfilments/${enc(f.id)}/collected`)));
  }
  return null;
}

function labelForm(label, name, onValue) {
  const { form, input } = scanField(label, async (value) => {
    await onValue(value);
    if (document.querySelector("#result .refusal")) refusedScan(input);
    else sound("ok");
  });
  form.querySelector("input").name = name;
  return form;
}

// The customer's code; by default they take everything still waiting, or only what the
// quantities under "Only part of it" say (the rest waits for the same code).
function collectForm(f, slot, reload) {
  const parts = f.lines.map((l) => ({ l, input: h("input", { type: "number", min: 0,
    max: l.quantity - (l.collected || 0), id: `take-${l.line_id}`, name: `take-${l.line_id}`,
    placeholder: String(l.quantity - (l.collected || 0)) }) }));
  const form = labelForm(t("collect.code"), "code", async (code) => {
    const lines = parts.filter((p) => p.input.value !== "")
      .map((p) => ({ line_id: p.l.line_id, quantity: Number(p.input.value) }))
      .filter((line) => line.quantity > 0);
    const body = lines.length ? { code, lines } : { code };
    const answer = await post(`/fulfilments/${enc(f.id)}/collect`, body);
    const partly = answer.ok && answer.body.status === "PARTIALLY_COLLECTED";
    return act(slot, reload, partly ? t("collect.partly") : t("collect.done"))(answer);
  });
  return h("div", {}, form, h("details", {}, h("summary", {}, t("collect.part")),
    parts.map(({ l, input }) => h("div", { class: "field" },
      h("label", { for: input.id }, `${l.sku} (${t("collect.left", { n: l.quantity - (l.collected || 0) })})`),
      input))));
}

function scanStep(f, slot, reload, stepKey) {
  const counts = h("ul", { id: "counts" }, f.lines.map((l) => h("li", {}, `${l.sku}: 0 / ${l.quantity}`)));
  const { form, input } = scanField(t("scan.label"), async (barcode) => {
    const answer = await post(`/fulfilments/${enc(f.id)}/scans`, { barcode });
    if (!answer.ok) {
      refusedScan(input);
      return show(slot, refusal(answer));
    }
    sound("ok");
    show(slot, notice(t("scan.ok", { sku: "", barcode })));
    counts.replaceChildren(...answer.body.lines.map((l) =>
      h("li", { class: l.scanned >= l.expected ? "done" : "" }, `${l.sku}: ${l.scanned} / ${l.expected}`)));
    return null;
  });
  const finish = stepKey === "pick"
    ? button(t("pick.scanned"), async () =>
      act(slot, reload, t("step.done"))(await post(`/fulfilments/${enc(f.id)}/pick`)))
    : button(t("step.complete"), async () => act(slot, reload, t("step.done"))(
      await post(`/fulfilments/${enc(f.id)}/steps/${enc(stepKey)}/complete`, {})));
  return h("div", {}, form, counts, h("div", { class: "actions" }, finish,
    stepKey === "pick" ? countPickToggle(f, slot, reload) : null));
}

function countPickToggle(f, slot, reload) {
  const holder = h("span");
  holder.append(button(t("short.report"), () => holder.replaceChildren(countPick(f, slot, reload)),
    { class: "secondary" }));
  return holder;
}

// Every line's units in hand; a line short of its quantity needs its reason code.
function countPick(f, slot, reload) {
  const reasons = h("datalist", { id: "short-codes" });
  get("/reason-codes?usage=short_pick").then((codes) => {
    if (codes.ok) reasons.replaceChildren(...codes.body.items.map((c) => h("option", { value: c.code }, c.label)));
  });
  const rows = f.lines.map((l) => {
    const picked = h("input", { type: "number", min: 0, max: l.quantity, value: l.quantity,
      id: `picked-${l.line_id}`, name: `picked-${l.line_id}`, required: true });
    const reason = h("input", { list: "short-codes", id: `reason-${l.line_id}`,
      name: `reason-${l.line_id}`, "aria-label": t("short.reasonof", { sku: l.sku }) });
    return { l, picked, reason, row: h("div", { class: "field" },
      h("label", { for: picked.id }, `${l.sku} (${t("of")} ${l.quantity})`), picked, " ", reason) };
  });
  return h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    const lines = rows.map(({ l, picked, reason }) => {
      const n = Number(picked.value);
      return n < l.quantity && reason.value
        ? { line_id: l.line_id, picked: n, short_reason: reason.value }
        : { line_id: l.line_id, picked: n };
    });
    act(slot, reload, t("step.done"))(await post(`/fulfilments/${enc(f.id)}/pick`, { lines }));
  } }, reasons, rows.map((r) => r.row), h("button", { type: "submit" }, t("pick.confirm")));
}

function packForm(f, slot, reload) {
  const weight = h("input", { type: "number", min: 1, id: "weight", name: "weight_grams",
    value: 1000, required: true });
  const count = h("input", { type: "number", min: 1, max: 50, id: "parcels", name: "parcels",
    value: 1, required: true });
  return h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    const parcels = Array.from({ length: Number(count.value) },
      () => ({ weight_grams: Number(weight.value) }));
    act(slot, reload, t("pack.done"))(await post(`/fulfilments/${enc(f.id)}/pack`, { parcels }));
  } }, h("label", { for: "parcels" }, t("pack.parcels")), count,
  h("label", { for: "weight" }, t("pack.weight")), weight,
  h("button", { type: "submit", id: "pack" }, t("pack.submit")));
}

function completeStep(f, step, slot, reload) {
  const base = `/fulfilments/${enc(f.id)}/steps/${enc(step.key)}`;
  const photo = step.type === "photo"
    ? h("input", { type: "url", id: "photo", name: "photo", required: true }) : null;
  const form = h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    act(slot, reload, t("step.done"))(await post(`${base}/complete`, photo ? { photo: photo.value } : {}));
  } }, photo ? h("label", { for: "photo" }, t("photo.url")) : null, photo,
  h("button", { type: "submit", id: "complete" }, t("step.complete")));
  const parts = [form];
  const state = f.steps.find((s) => s.key === step.key);
  if (state && !state.required) parts.push(skipForm(base, slot, reload));
  return h("div", {}, parts);
}

function skipForm(base, slot, reload) {
  const select = h("select", { id: "skip-reason", name: "reason", required: true },
    h("option", { value: "" }, t("choose")));
  get("/reason-codes?usage=skip_step").then((codes) => {
    if (codes.ok) select.append(...codes.body.items.map((c) => h("option", { value: c.code }, c.label)));
  });
  return h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    act(slot, reload, t("step.skipped"))(await post(`${base}/skip`, { reason: select.value }));
  } }, h("label", { for: "skip-reason" }, t("skip.reason")), select,
  h("button", { type: "submit", class: "secondary" }, t("skip.submit")));
}

// A return brought back to the store: its id (scanned from the parcel or typed), then what
// came back of each line.
export async function receiveReturnPage([loc], params) {
  const slot = h("div", { id: "result" });
  const body = h("div");
  const { form } = scanField(t("return.id"), async (id) => {
    const answer = await get(`/returns/${enc(id)}`);
    if (!answer.ok) return show(slot, refusal(answer));
    show(slot, null);
    return body.replaceChildren(returnForm(answer.body, slot));
  });
  page(t("return.receive"), h("p", {}, h("a", { href: `#/store/${enc(loc)}` }, t("back.work"))),
    form, slot, body);
  if (params.get("id")) form.querySelector("input").value = params.get("id");
}

function returnForm(ret, slot) {
  const rows = ret.lines.map((l) => ({ l, input: h("input", { type: "number", min: 0,
    max: l.quantity, value: l.quantity, id: `ret-${l.line_id}`, name: `ret-${l.line_id}` }) }));
  return h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    const lines = rows.filter((r) => Number(r.input.value) > 0)
      .map((r) => ({ line_id: r.l.line_id, quantity: Number(r.input.value) }));
    const answer = await post(`/returns/${enc(ret.return_id)}/receive`, { lines });
    show(slot, answer.ok ? notice(t("return.received", { id: ret.return_id })) : refusal(answer));
  } }, h("p", {}, `${t("order")} ${ret.order_id} · ${t(`returnstatus.${ret.status}`, {}, ret.status)}`),
  rows.map(({ l, input }) => h("div", { class: "field" },
    h("label", { for: input.id }, `${l.sku || l.line_id} (${t("of")} ${l.quantity})`), input)),
  h("button", { type: "submit" }, t("return.submit")));
}
