// An order's customer messages (GET /orders/{id}/messages): what was sent, to whom, how it
// went. Customer service sends one again to a customer who never got it, to the same address
// or to a corrected one (POST .../resend; docs/messages.md).
import { enc, get, post } from "./api.js";
import { t } from "./i18n.js";
import { button, h, notice, refusal, show, table, when } from "./ui.js";

const kindOf = (m) => t(`messagekind.${m.kind}`, {}, m.kind)
  + (m.resend_of ? ` (${t("messages.copy_of", { id: m.resend_of })})` : "");

// The section, filled now and again after each resend; a node to put in the order's page.
export function messagesSection(id, withActions) {
  const section = h("section", { "aria-labelledby": "messages-title" });
  const fill = async (outcome) => {
    const answer = await get(`/orders/${enc(id)}/messages?limit=200`);
    const title = h("h2", { id: "messages-title", tabindex: "-1" }, t("messages"));
    const slot = h("div", { id: "messages-result" }, outcome || "");
    if (!answer.ok) return section.replaceChildren(title, refusal(answer));
    const items = answer.body.items;
    if (!items.length) return section.replaceChildren(title, h("p", {}, t("messages.none")));
    const again = async (m, to) => {
      const r = await post(`/orders/${enc(id)}/messages/${m.id}/resend`, to ? { to } : undefined);
      if (!r.ok) return show(slot, refusal(r));
      await fill(notice(t("messages.again.done", { to: r.body.to })));
      return document.getElementById("messages-title").focus();
    };
    const columns = [
      [t("message"), kindOf],
      [t("messages.to"), (m) => m.to],
      [t("state"), (m) => t(`messagestatus.${m.status}`, {}, m.status)],
      [t("messages.sent"), (m) => (m.sent_at ? when(m.sent_at) : m.last_error || "—")],
    ];
    const open = items.filter((m) => m.status !== "pending");
    if (withActions) {
      columns.push([t("actions"), (m) => (m.status === "pending" ? t("messages.on_its_way")
        : button(t("messages.again"), () => again(m),
          { class: "quiet", "aria-label": `${t("messages.again")}: ${kindOf(m)}, ${m.id}` }))]);
    }
    const parts = [title, slot, table(t("messages"), columns, items)];
    if (withActions && open.length) {
      const which = h("select", { id: "resend-which", name: "message", required: true },
        open.map((m) => h("option", { value: m.id }, `${kindOf(m)} · ${m.to} · ${when(m.created_at)}`)));
      const to = h("input", { id: "resend-to", name: "to", type: "email", required: true,
        autocomplete: "off" });
      parts.push(h("form", { onsubmit: (ev) => {
        ev.preventDefault();
        return again(open.find((m) => String(m.id) === which.value), to.value.trim());
      } }, h("h3", {}, t("messages.again.other")),
      h("div", { class: "field" }, h("label", { for: "resend-which" }, t("message")), which),
      h("div", { class: "field" }, h("label", { for: "resend-to" }, t("messages.again.to")), to),
      h("button", { type: "submit", class: "secondary" }, t("messages.again.send"))));
    }
    return section.replaceChildren(...parts);
  };
  fill();
  return section;
}
