// Two dictionaries, English and French; the switch in the bar, else the browser's languages
// (its Accept-Language), choose. A missing French phrase falls back to English.
import { en } from "./words_en.js";
import { fr } from "./words_fr.js";

const DICTS = { en, fr };
const LANG = "oms.lang";

export function lang() {
  const chosen = sessionStorage.getItem(LANG);
  if (chosen && DICTS[chosen]) return chosen;
  const wanted = navigator.languages || [navigator.language || "en"];
  for (const tag of wanted) {
    const base = tag.toLowerCase().split("-")[0];
    if (DICTS[base]) return base;
  }
  return "en";
}

export function setLang(code) {
  sessionStorage.setItem(LANG, code);
  document.documentElement.lang = code;
}

export function t(key, params = {}, fallback) {
  let text = DICTS[lang()][key] ?? en[key] ?? (fallback === undefined ? key : fallback);
  if (text === null) return null;
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}
