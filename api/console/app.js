// The console: sign-in with an API key (kept in this tab's sessionStorage only), the bar
// whose sections follow the key's role, and a router over the part of the URL after `#`.
import * as api from "./api.js";
import { lang, setLang, t } from "./i18n.js";
import { h, page, refusal } from "./ui.js";
import { routes as storeRoutes } from "./store.js";
import { routes as deskRoutes } from "./desk.js";
import { routes as orderRoutes } from "./orders.js";
import { routes as adminRoutes } from "./admin.js";

const ME = "oms.me";

export function me() {
  const raw = sessionStorage.getItem(ME);
  return raw ? JSON.parse(raw) : null;
}

// Which sections a role sees; the API decides what each call may do.
function sections(who) {
  if (!who) return [];
  const store = who.location_id ? `#/store/${who.location_id}` : "#/store";
  const all = {
    store: ["store", store, "w"],
    desk: ["desk", "#/desk", "t"],
    orders: ["orders", "#/orders", "o"],
    admin: ["admin", "#/admin", "a"],
  };
  const byRole = { store: ["store"], analyst: ["desk", "orders"],
    admin: ["store", "desk", "orders", "admin"] };
  return (byRole[who.role] || []).map((name) => all[name]);
}

function renderBar() {
  const who = me();
  const here = location.hash.split("?")[0];
  document.getElementById("nav").replaceChildren(
    ...sections(who).map(([name, href, accessKey]) =>
      h("a", { href, "aria-current": here.startsWith(href) ? "page" : null,
        "aria-keyshortcuts": `Alt+${accessKey.toUpperCase()}` }, t(`nav.${name}`))),
  );
  document.getElementById("who").textContent = who
    ? t("who", { name: who.name, role: t(`role.${who.role}`, {}, who.role),
      scope: who.location_id ? ` · ${who.location_id}` : "" })
    : "";
  const langButton = document.getElementById("lang");
  langButton.textContent = lang() === "fr" ? "English" : "Français";
  langButton.setAttribute("lang", lang() === "fr" ? "en" : "fr");
  langButton.setAttribute("aria-keyshortcuts", "Alt+L");
  const out = document.getElementById("signout");
  out.hidden = !who;
  out.textContent = t("signout");
  document.getElementById("skip").textContent = t("skip");
}

function loginPage(message) {
  const input = h("input", { id: "key", name: "key", type: "password", autocomplete: "off",
    required: true, "aria-describedby": "key-help" });
  const slot = h("div");
  const form = h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    api.keep(input.value.trim());
    const answer = await api.get("/keys/me");
    if (!answer.ok) {
      api.forget();
      slot.replaceChildren(refusal(answer));
      input.focus();
      return;
    }
    sessionStorage.setItem(ME, JSON.stringify(answer.body));
    if (location.hash === "#/") route();
    else location.hash = "#/";
  } },
  h("label", { for: "key" }, t("login.key")), input,
  h("p", { id: "key-help", class: "muted" }, t("login.help")),
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("login.submit"))));
  page(t("login.title"), message ? h("div", { class: "refusal", role: "alert" }, message) : "",
    form, slot);
  input.focus();
}

function home() {
  const who = me();
  // An admin starts at the admin pages; everyone else at their first (only) section.
  const mine = sections(who);
  const first = mine.find(([name]) => name === "admin") || mine[0];
  if (first) {
    location.replace(first[1]);
    return;
  }
  page(t("home.nothing.title"), h("p", {}, t("home.nothing", { role: who.role })));
}

const ROUTES = [
  [/^#?\/?$/, home],
  ...storeRoutes,
  ...deskRoutes,
  ...orderRoutes,
  ...adminRoutes,
];

export async function route() {
  document.documentElement.lang = lang();
  renderBar();
  document.getElementById("alert").replaceChildren();
  if (!api.key() || !me()) {
    loginPage();
    return;
  }
  const [path, search] = location.hash.split("?");
  const params = new URLSearchParams(search || "");
  for (const [pattern, handler] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      await handler(match.slice(1).map(decodeURIComponent), params, me());
      return;
    }
  }
  page(t("notfound.title"), h("p", {}, t("notfound")));
}

function shortcut(ev) {
  if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const letter = ev.key.toLowerCase();
  if (letter === "l") {
    ev.preventDefault();
    document.getElementById("lang").click();
    return;
  }
  const target = sections(me()).find(([, , k]) => k === letter);
  if (target) {
    ev.preventDefault();
    location.hash = target[1];
  }
}

window.addEventListener("hashchange", () => {
  route().then(() => {
    const title = document.getElementById("title");
    if (title && !document.getElementById("scan")) document.getElementById("main").focus();
  });
});
window.addEventListener("keydown", shortcut);
window.addEventListener("oms:signed-out", (ev) => {
  api.forget();
  loginPage((ev.detail && ev.detail.reason) || t("refused.401"));
  renderBar();
});
document.getElementById("lang").addEventListener("click", () => {
  setLang(lang() === "fr" ? "en" : "fr");
  route();
});
document.getElementById("signout").addEventListener("click", () => {
  api.forget();
  if (location.hash === "#/") route();
  else location.hash = "#/";
});
route();
