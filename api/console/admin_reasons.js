// Reason codes (admin): every code with where it may be given and what follows from it; a code
// created or changed (PUT replaces what it says), and retired. Built-in codes keep their
// usages and are never retired: the API refuses it, so no Retire button is offered for them.
import { call, enc, get } from "./api.js";
import { t } from "./i18n.js";
import { button, h, loading, notice, page, refusal, show, table } from "./ui.js";
import { REASON_CODE } from "./admin_fields.js";
import { fieldForm } from "./forms.js";

const words = (values) => values.map((v) => t(`enum.${v}`, {}, v)).join(", ");

async function codes() {
  const main = page(t("admin.reason-codes"), loading());
  const answer = await get("/reason-codes");
  main.lastChild.remove();
  const slot = h("div", { id: "result" });
  main.append(h("p", {}, h("a", { href: "#/admin" }, t("back.admin"))), slot);
  if (!answer.ok) {
    main.append(refusal(answer));
    return;
  }
  const items = answer.body.items;
  const messages = [...new Set(items.map((c) => c.customer_message).filter(Boolean))].sort();
  const options = { customer_message: messages };
  const retire = (c) => button(t("reason.retire"), async () => {
    if (!window.confirm(t("reason.retire.confirm", { id: c.code }))) return;
    const r = await call("DELETE", `/reason-codes/${enc(c.code)}`);
    if (!r.ok) {
      show(slot, refusal(r));
      return;
    }
    await codes();
    show(document.getElementById("result"), notice(t("reason.retired", { id: c.code })));
  }, { class: "quiet", "aria-label": `${t("reason.retire")} ${c.code}` });
  main.append(table(t("admin.reason-codes"), [
    [t("field.code"), (c) => h("code", {}, c.code)],
    [t("field.label"), (c) => c.label],
    [t("field.usages"), (c) => words(c.usages)],
    [t("reason.effects"), (c) => `${t("field.stock_effect")}: ${t(`enum.${c.stock_effect}`, {}, c.stock_effect)}`
      + ` · ${t("field.routing_effect")}: ${t(`enum.${c.routing_effect}`, {}, c.routing_effect)}`],
    [t("field.customer_message"), (c) => c.customer_message || "—"],
    [t("reason.built_in"), (c) => (c.built_in ? t("yes") : t("no"))],
    [t("reason.active"), (c) => (c.active ? t("yes") : t("reason.retired.state"))],
    [t("actions"), (c) => [
      button(t("edit"), () => edit(c, options, slot),
        { class: "quiet", "aria-label": `${t("edit")} ${c.code}` }),
      c.built_in ? h("span", { class: "muted" }, ` ${t("reason.keep")}`) : c.active ? retire(c) : null,
    ]],
  ], items));
  const form = fieldForm("new", REASON_CODE, { options });
  const problem = h("div");
  main.append(h("h2", {}, t("reason.new")), h("form", { id: "new-form", novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const { code, ...body } = form.read();
      // The code is the address: without one there is nothing to send.
      // PUT creates or replaces: a new code named like one listed would replace it unasked.
      const taken = items.some((c) => c.code === code);
      const r = !code
        ? { ok: false, status: 422, body: { code: "required", field: "code", reason: t("required") } }
        : taken ? { ok: false, status: 409, body: { code: "already_exists", field: "code",
          reason: t("reason.exists", { id: code }) } }
          : await call("PUT", `/reason-codes/${enc(code)}`, body);
      if (!r.ok) return form.refuse(r, problem);
      await codes();
      return show(document.getElementById("result"), notice(t("reason.saved", { id: code })));
    } }, form.fields, problem,
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("admin.create")))));
}

// The code stays in the path; everything it says is sent, as PUT replaces it.
function edit(code, options, slot) {
  const form = fieldForm("edit", REASON_CODE.filter((f) => f.name !== "code"),
    { values: code, options, edit: true });
  const problem = h("div");
  slot.replaceChildren(h("form", { id: "edit-form", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const r = await call("PUT", `/reason-codes/${enc(code.code)}`, form.read());
    if (!r.ok) return form.refuse(r, problem);
    await codes();
    return show(document.getElementById("result"), notice(t("reason.saved", { id: code.code })));
  } }, h("h2", {}, t("edit.title", { id: code.code })), form.fields, problem,
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("save")))));
  slot.querySelector("input, select").focus();
}

export const routes = [[/^#\/admin\/reason-codes$/, codes]];
