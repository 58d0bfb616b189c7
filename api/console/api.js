// The console's one way to the API: the same endpoints, the same key header as any
// integration, so a page can never show or allow more than the key does.
const KEY = "oms.key";

export function key() {
  return sessionStorage.getItem(KEY);
}

export function keep(secret) {
  sessionStorage.setItem(KEY, secret);
}

export function forget() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem("oms.me");
}

// {ok, status, body}: body is the parsed JSON (the API's error shape on a refusal). ``extra``:
// more headers (an Idempotency-Key).
export async function call(method, path, body, extra = {}) {
  const headers = { Accept: "application/json", ...extra };
  const secret = key();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    return { ok: false, status: 0, body: { code: "network", reason: String(err) } };
  }
  let parsed = null;
  const text = await response.text();
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { code: "not_json", reason: text.slice(0, 200) };
    }
  }
  if (response.status === 401 && secret) {
    window.dispatchEvent(new CustomEvent("oms:signed-out", { detail: parsed }));
  }
  return { ok: response.ok, status: response.status, body: parsed };
}

export const get = (path) => call("GET", path);
export const post = (path, body, extra) => call("POST", path, body, extra);

export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(name, value);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const enc = encodeURIComponent;
