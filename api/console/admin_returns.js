// Return policies (admin): each channel's policy (the default one until an admin sets it),
// and a form with every field of it; PUT replaces the whole policy.
import { call, enc, get } from "./api.js";
import { t } from "./i18n.js";
import { button, h, loading, notice, page, refusal, show, table } from "./ui.js";
import { RETURN_POLICY } from "./admin_fields.js";
import { fieldForm } from "./forms.js";

const list = (values) => (values.length ? values.join(", ") : "—");

async function policies() {
  const main = page(t("admin.return-policies"), loading());
  const channels = await get("/channels");
  main.lastChild.remove();
  const slot = h("div", { id: "result" });
  main.append(h("p", {}, h("a", { href: "#/admin" }, t("back.admin"))), slot);
  if (!channels.ok) {
    main.append(refusal(channels));
    return;
  }
  const ids = channels.body.items.map((c) => c.id);
  const [grades, reasons, ...answers] = await Promise.all([
    get("/reason-codes?usage=return_qc"), get("/reason-codes?usage=return_request"),
    ...ids.map((id) => get(`/return-policies/${enc(id)}`))]);
  const refused = [grades, reasons, ...answers].find((a) => !a.ok);
  if (refused) {
    main.append(refusal(refused));
    return;
  }
  const codes = (a) => a.body.items.filter((c) => c.active).map((c) => c.code);
  const options = { refunded_grades: codes(grades), shipping_refund_reasons: codes(reasons) };
  const rows = answers.map((a) => a.body);
  main.append(rows.length ? table(t("admin.return-policies"), [
    [t("field.channel"), (r) => r.channel],
    [t("field.window_days"), (r) => [String(r.policy.window_days),
      ...Object.entries(r.policy.category_window_days).map(([k, v]) => ` · ${k}: ${v}`)]],
    [t("field.non_returnable_categories"), (r) => list(r.policy.non_returnable_categories)],
    [t("field.refund_shipping"), (r) => t(`enum.${r.policy.refund_shipping}`, {}, r.policy.refund_shipping)],
    [t("field.refunded_grades"), (r) => list(r.policy.refunded_grades)],
    [t("details"), (r) => h("details", {}, h("summary", {}, t("details")),
      h("pre", {}, JSON.stringify(r.policy, null, 2)))],
    [t("actions"), (r) => button(t("edit"), () => edit(r, options, slot),
      { class: "quiet", "aria-label": `${t("edit")} ${r.channel}` })],
  ], rows) : h("p", {}, t("policy.nochannel")));
}

function edit({ channel, policy }, options, slot) {
  const form = fieldForm("edit", RETURN_POLICY, { values: policy, options, edit: true });
  const problem = h("div");
  slot.replaceChildren(h("form", { id: "edit-form", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const r = await call("PUT", `/return-policies/${enc(channel)}`, form.read());
    if (!r.ok) return form.refuse(r, problem);
    await policies();
    return show(document.getElementById("result"), notice(t("policy.saved", { id: channel })));
  } }, h("h2", {}, t("policy.title", { id: channel })), form.fields, problem,
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("save")))));
  slot.querySelector("input, select").focus();
}

export const routes = [[/^#\/admin\/return-policies$/, policies]];
