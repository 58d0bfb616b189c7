// Small DOM helpers: elements, tables, refusals, sounds and focus.
import { t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A page's content: a new element each time, so that what a page still loading adds after
// the user moved on goes nowhere.
export function page(title, ...children) {
  const content = h("div", { class: "page" }, h("h1", { id: "title" }, title), ...children);
  document.getElementById("main").replaceChildren(content);
  document.title = `${title} · OMS`;
  return content;
}

// Dates and money as the browser's own variant of the chosen language writes them (en-GB
// and en-US differ).
function locale() {
  const chosen = document.documentElement.lang;
  const wanted = navigator.languages || [navigator.language || chosen];
  return wanted.find((tag) => tag.toLowerCase().split("-")[0] === chosen) || chosen;
}

export function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(locale(), {
    dateStyle: "short",
    timeStyle: "short",
  });
}

export function money(minor, currency) {
  if (minor === undefined || minor === null) return "—";
  return new Intl.NumberFormat(locale(), {
    style: "currency",
    currency: currency || "EUR",
  }).format(minor / 100);
}

export function table(caption, columns, rows) {
  const head = h("tr", {}, columns.map(([label]) => h("th", { scope: "col" }, label)));
  const body = rows.map((row) =>
    h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row) ?? "—"))),
  );
  return h("table", {}, h("caption", { class: "sr-only" }, caption), h("thead", {}, head),
    h("tbody", {}, body));
}

export function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

// What the API refused, in words, with its stable code, field and reason as it said them.
export function refusal(answer) {
  const body = answer.body || {};
  const headline = t(`code.${body.code}.${body.field}`, {}, null) ?? t(`code.${body.code}`, {}, null) ??
    t(`refused.${answer.status}`, {}, t("refused.other", { status: answer.status }));
  const detail = [body.code, body.field].filter(Boolean).join(" · ");
  const reasons = (body.errors || []).filter((e) => e.reason && e.reason !== body.reason);
  return h("div", { class: "refusal", role: "alert", "data-code": body.code || "" },
    h("strong", {}, headline), " ", detail ? h("code", {}, detail) : null,
    body.reason ? h("div", {}, body.reason) : null,
    reasons.length ? h("ul", {}, reasons.map((e) => h("li", {}, `${e.field}: ${e.reason}`))) : null);
}

export function notice(text) {
  return h("div", { class: "notice", role: "status" }, text);
}

// Into a slot: what an action answered (a refusal stays until the next action).
export function show(slot, node) {
  slot.replaceChildren(...(node ? [node] : []));
}

export function announce(text) {
  document.getElementById("status").textContent = text;
}

let audio = null;

// A refused scan is heard as well as seen: a low buzz; an accepted one a short high tick.
// Web Audio, no sound file. The last sound is kept on <body data-sound> for tests.
export function sound(kind) {
  document.body.dataset.sound = kind;
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = kind === "refused" ? "square" : "sine";
    osc.frequency.value = kind === "refused" ? 180 : 1200;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    const now = audio.currentTime;
    osc.start(now);
    osc.stop(now + (kind === "refused" ? 0.45 : 0.08));
  } catch {
    // No audio device: the refusal is still shown.
  }
}

// Scans are sent one at a time, in the order they were read: a scanner may read the next
// barcode before the API has answered the last.
let scans = Promise.resolve();

// One input that keeps the focus (a keyboard-wedge scanner types into it and presses Enter).
// Focus goes back to it whenever nothing else that takes input has it.
export function scanField(label, onScan) {
  const input = h("input", { class: "scan", id: "scan", name: "scan", autocomplete: "off",
    autocapitalize: "off", spellcheck: "false", inputmode: "text", "aria-label": label });
  const form = h("form", { class: "scanform", onsubmit: async (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    input.value = "";
    if (value) {
      scans = scans.then(() => onScan(value)).catch(() => {});
      await scans;
    }
    if (input.isConnected) input.focus();
  } }, h("label", { for: "scan" }, label), input);
  input.addEventListener("blur", () => setTimeout(() => {
    const active = document.activeElement;
    if (input.isConnected && (!active || active === document.body || active.id === "main")) {
      input.focus();
    }
  }, 0));
  setTimeout(() => input.focus(), 0);
  return { form, input };
}

export function refusedScan(input) {
  input.classList.add("refused");
  sound("refused");
  setTimeout(() => input.classList.remove("refused"), 1500);
}

export function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", onclick, ...attrs }, label);
}

export function loading() {
  return h("p", { class: "muted" }, t("loading"));
}
