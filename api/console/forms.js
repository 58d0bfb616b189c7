// Forms built from a field description (admin_fields.js): one labelled control per field, a
// body read back with the API's own field names, and a refusal shown at the field it names.
import { t } from "./i18n.js";
import { h, refusal, show } from "./ui.js";

const present = (v) => v !== undefined && v !== null && v !== "" &&
  !(Array.isArray(v) && !v.length) && !(typeof v === "object" && !Object.keys(v).length);

const label = (f) => t(`field.${f.name}`);
const optionText = (f, v) => t(`enum.${v}`, {}, v);

// What a field shows for a value: a list as "a, b", a map as "a=1, b=2".
function asText(f, value) {
  if (value === undefined || value === null) return "";
  if (f.type === "list") return value.join(", ");
  if (f.type === "map") return Object.entries(value).map(([k, v]) => `${k}=${v}`).join(", ");
  return String(value);
}

const words = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
// A number the browser could not read stays as typed: the API refuses it at its field.
const numberOr = (s) => (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s);

function control(f, id, value, options) {
  const common = { id, name: f.name, required: f.required };
  if (f.type === "checkbox") {
    return h("input", { ...common, type: "checkbox", checked: value ?? f.default ?? false });
  }
  if (f.type === "select" || f.type === "buffer") {
    const values = f.type === "buffer" ? ["quantity", "percent"] : options;
    const chosen = f.type === "buffer" ? ["quantity", "percent"].find((k) => present(value?.[k]))
      : value ?? f.default;
    // Nothing chosen is offered when the API has no default: it then says what is missing.
    const none = f.default === undefined || f.type === "buffer";
    return h("select", common, none ? h("option", { value: "" }, t(f.required ? "choose" : "none.option")) : null,
      [...values, ...(present(chosen) && !values.includes(chosen) ? [chosen] : [])].map((v) =>
        h("option", { value: v, selected: v === chosen }, optionText(f, v))));
  }
  if (f.type === "number") {
    return h("input", { ...common, type: "number", inputmode: f.step === "any" ? "decimal" : "numeric",
      step: f.step ?? "1", min: f.min, max: f.max, value: asText(f, value ?? f.default) });
  }
  return h("input", { ...common, type: f.type === "url" ? "url" : "text", autocomplete: "off",
    list: f.suggest ? `${f.suggest}-list` : null, value: asText(f, value ?? f.default) });
}

function checks(f, id, value, options) {
  const chosen = value ?? f.default ?? [];
  const all = [...options, ...chosen.filter((v) => !options.includes(v))];
  return h("fieldset", { id, class: "field checks" }, h("legend", {}, label(f),
    f.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null),
  all.map((v) => h("span", { class: "check" },
    h("input", { type: "checkbox", id: `${id}-${v}`, name: f.name, value: v,
      checked: chosen.includes(v) }),
    h("label", { for: `${id}-${v}` }, optionText(f, v)))));
}

// One form: `fields` as admin_fields.js describes them, `values` what it starts from (a row
// being edited), `options` the choices of the fields whose choices are data ({name: [...]}).
export function fieldForm(prefix, fields, { values = {}, options = {}, edit = false } = {}) {
  const parts = fields.map((f) => {
    const id = `${prefix}-${f.name}`;
    const choices = options[f.name] ?? f.options ?? [];
    const hint = t(`hint.${f.name}`, {}, null);
    const error = h("div", { id: `${id}-error`, class: "field-error", hidden: true });
    if (f.type === "checks") {
      const group = checks(f, id, values[f.name], choices);
      group.append(h("div", { class: "notes" }, error,
        hint ? h("div", { id: `${id}-hint`, class: "muted" }, hint) : null));
      return { f, id, group, error, hint };
    }
    const input = control(f, id, values[f.name], choices);
    if (hint) input.setAttribute("aria-describedby", `${id}-hint`);
    const amount = f.type === "buffer" ? h("input", { id: `${id}-amount`, name: `${f.name}-amount`,
      type: "number", step: "any", min: 0, inputmode: "decimal",
      value: asText(f, values[f.name]?.quantity ?? values[f.name]?.percent) }) : null;
    const lab = h("label", { for: id, class: f.required ? "required" : null }, label(f));
    const group = f.type === "checkbox"
      ? h("div", { class: "field check" }, input, lab, error)
      : h("div", { class: "field" }, lab, input,
        amount ? [h("label", { for: `${id}-amount` }, t("field.buffer.amount")), amount] : null,
        error, hint ? h("div", { id: `${id}-hint`, class: "muted" }, hint) : null);
    return { f, id, group, input, amount, error, hint };
  });

  // The body as the API takes it: an empty optional field is left out; on an edit, a field
  // emptied that had a value is sent as the field's `clear` (null, []) when the API takes it.
  function read() {
    const body = {};
    for (const { f, input, amount, group } of parts) {
      let v;
      if (f.type === "checks") {
        v = [...group.querySelectorAll("input:checked")].map((c) => c.value);
      } else if (f.type === "checkbox") v = input.checked;
      else if (f.type === "buffer") {
        v = input.value ? { [input.value]: amount.value === "" ? null : numberOr(amount.value) } : null;
      } else if (f.type === "list") v = words(input.value);
      else if (f.type === "map") {
        v = Object.fromEntries(words(input.value).map((pair) => {
          const [k, ...rest] = pair.split("=");
          return [k.trim(), numberOr(rest.join("=").trim())];
        }));
      } else if (f.type === "number") v = input.value === "" ? "" : numberOr(input.value);
      else v = input.value.trim();
      if (present(v) || f.type === "checkbox" || (f.always && v !== "")) body[f.name] = v;
      else if (edit && f.clear !== undefined && present(values[f.name])) body[f.name] = f.clear;
    }
    return body;
  }

  function clear() {
    for (const { f, id, group, error, hint } of parts) {
      error.hidden = true;
      error.textContent = "";
      for (const el of group.querySelectorAll("input, select")) {
        el.removeAttribute("aria-invalid");
        if (f.type === "checks" || el.id === `${id}-amount`) el.removeAttribute("aria-describedby");
        else if (hint) el.setAttribute("aria-describedby", `${id}-hint`);
        else el.removeAttribute("aria-describedby");
      }
    }
  }

  // A refusal naming fields of this form is shown at them ("lat", "locations[1]",
  // "buffer.quantity" are all the field's), and the first of them takes the focus; one that
  // names none is shown in `slot` as anywhere else.
  function refuse(answer, slot) {
    clear();
    const body = answer.body || {};
    const listed = body.errors && body.errors.length ? body.errors : [body];
    const marked = [];
    for (const e of listed) {
      const name = String(e.field || "").match(/^[A-Za-z_]+/)?.[0];
      const part = parts.find((p) => p.f.name === name);
      if (!part || !e.reason) continue;
      part.error.hidden = false;
      part.error.textContent = part.error.textContent ? `${part.error.textContent} ${e.reason}` : e.reason;
      for (const el of part.group.querySelectorAll("input, select")) {
        el.setAttribute("aria-invalid", "true");
        const described = [part.error.id, part.hint ? `${part.id}-hint` : null].filter(Boolean);
        el.setAttribute("aria-describedby", described.join(" "));
      }
      marked.push(part);
    }
    if (!marked.length) {
      show(slot, refusal(answer));
      return;
    }
    show(slot, null);
    marked[0].group.querySelector("input, select").focus();
  }

  return { fields: parts.map((p) => p.group), read, refuse, clear };
}

// The ids a field may name, offered as the user types (a datalist; any value may be typed).
export function suggestions(name, ids) {
  return h("datalist", { id: `${name}-list` }, ids.map((v) => h("option", { value: v })));
}
