// Small helpers shared by every page: element building (text only, never
// markup), API calls with relative URLs, and time and number formatting.

/** Builds an element. `attrs`: `class`, `text`, `on<event>` handlers,
 * `dataset`, anything else as an attribute (skipped when null/false).
 * Children: nodes, strings (as text), arrays, null (skipped). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = String(v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** An error returned by the API: `type` is Prometheus' errorType. */
export class ApiError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

/** Calls `api/v1/<path>` (relative to the page, so under the route
 * prefix), POSTing `params` as a form when given; resolves to the whole
 * response body ({data, warnings, infos}). */
export async function api(path, params, signal) {
  const init = { signal, headers: { Accept: "application/json" } };
  if (params) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/x-www-form-urlencoded";
    init.body = new URLSearchParams(params);
  }
  let resp;
  try {
    resp = await fetch("api/v1/" + path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError("network", "cannot reach the server: " + e.message);
  }
  let body;
  try {
    body = await resp.json();
  } catch {
    throw new ApiError("http", `HTTP ${resp.status} ${resp.statusText}`);
  }
  if (body.status !== "success") {
    throw new ApiError(body.errorType || "error", body.error || `HTTP ${resp.status}`);
  }
  return body;
}

/** `{__name__="up", job="a"}` → `up{job="a"}`. */
export function seriesName(metric) {
  const name = metric.__name__ || "";
  const rest = Object.keys(metric)
    .filter((k) => k !== "__name__")
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  if (!name) return `{${rest.join(", ")}}`;
  return rest.length ? `${name}{${rest.join(", ")}}` : name;
}

/** Label chips for a label set. */
export function labelChips(labels) {
  const keys = Object.keys(labels || {}).sort();
  return h("div", { class: "labels" },
    keys.map((k) => h("span", { class: "label", text: `${k}="${labels[k]}"` })));
}

const UNITS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** A Prometheus duration (`1h30m`, `90s`) or a plain number of seconds
 * → seconds; null when it is neither. */
export function parseDuration(text) {
  const s = String(text || "").trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) > 0 ? Number(s) : null;
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  let total = 0, seen = "", m;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNITS[m[2]];
    seen += m[0];
  }
  return seen === s && total > 0 ? total : null;
}

/** Seconds → the shortest Prometheus duration (`3600` → `1h`). */
export function formatDuration(sec) {
  let ms = Math.round(sec * 1000);
  if (ms === 0) return "0s";
  let out = "";
  for (const [u, f] of [["y", 31536000000], ["w", 604800000], ["d", 86400000],
    ["h", 3600000], ["m", 60000], ["s", 1000], ["ms", 1]]) {
    if (ms >= f) {
      out += Math.floor(ms / f) + u;
      ms %= f;
    }
  }
  return out;
}

/** Seconds → a short human duration for measured times (`12.3ms`). */
export function humanSeconds(sec) {
  if (sec === undefined || sec === null || Number.isNaN(sec)) return "";
  if (sec < 0.001) return (sec * 1e6).toFixed(0) + "µs";
  if (sec < 1) return (sec * 1000).toFixed(sec < 0.01 ? 2 : 1) + "ms";
  if (sec < 60) return sec.toFixed(2) + "s";
  return formatDuration(Math.round(sec));
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** Whether times are shown and typed in the browser's time zone instead of
 * UTC (the header's "Local time" switch, kept in localStorage). Links keep
 * UTC either way, so a shared URL means the same moment to everyone. */
export const localTime = (() => {
  try {
    return localStorage.getItem("vigil.localTime") === "1";
  } catch {
    return false;
  }
})();

/** Turns the local-time setting on or off (the page reloads to apply it). */
export function setLocalTime(on) {
  try {
    localStorage.setItem("vigil.localTime", on ? "1" : "0");
  } catch {
    // Storage refused (private mode): the setting cannot stick.
  }
}

/** The zone times are shown in: "UTC", or the browser's zone name. */
export function zoneLabel() {
  if (!localTime) return "UTC";
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  } catch {
    return "local time";
  }
}

/** The calendar fields of `ms` in UTC or, with `local`, the browser's zone. */
export function timeParts(ms, local = localTime) {
  const d = new Date(ms);
  return local
    ? [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()]
    : [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
}

/** Milliseconds → `YYYY-MM-DD HH:MM:SS` in the display zone (UTC unless the
 * local-time setting is on), or always UTC with `utc` (URLs). */
export function formatTime(ms, utc = false) {
  const [y, mo, d, h, mi, se] = timeParts(ms, localTime && !utc);
  return `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(se)}`;
}

/** `YYYY-MM-DD[ HH:MM[:SS]]` (in the display zone, or UTC with `utc`),
 * RFC 3339 or Unix seconds → ms; null if none of those. */
export function parseTime(text, utc = false) {
  const s = String(text || "").trim();
  if (!s) return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?$/.exec(s);
  if (m) {
    const f = [+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)];
    return localTime && !utc ? new Date(...f).getTime() : Date.UTC(...f);
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** An RFC 3339 time → "3m 12s ago" style text (empty for the zero time). */
export function ago(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return "never";
  const sec = (Date.now() - t) / 1000;
  if (sec < 0) return "in " + formatDuration(Math.round(-sec));
  if (sec < 1) return "just now";
  return formatDuration(Math.round(sec)) + " ago";
}

/** Sample value text → number (`+Inf`, `-Inf`, `NaN` included). */
export function num(v) {
  if (v === "+Inf" || v === "Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  return Number(v);
}

/** Numbers for axes and tooltips: short, exact enough. */
export function formatValue(v) {
  if (!Number.isFinite(v)) return String(v).replace("Infinity", "Inf");
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e15 || a < 1e-4)) return v.toExponential(3);
  return String(Number(v.toPrecision(6)));
}

/** A badge for a health or state word. */
export function badge(word) {
  const w = String(word || "unknown").toLowerCase();
  const kind = { up: "ok", ok: "ok", inactive: "ok", firing: "bad", down: "bad", err: "bad",
    pending: "warn", unknown: "none" }[w] || "none";
  return h("span", { class: "badge " + kind, text: w });
}

/** Replaces `main`'s content with a heading and returns `main`. */
export function page(title) {
  document.title = title + " - Vigil";
  const main = document.getElementById("main");
  main.replaceChildren(h("h1", { text: title }));
  return main;
}

/** A table: `head` is a list of column titles, `rows` a list of arrays of
 * cells (node or text); `numeric` marks right-aligned columns. */
export function table(head, rows, numeric = []) {
  return h("table", { class: "data" },
    h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col", text: t })))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) =>
      h("td", { class: numeric.includes(i) ? "num" : null }, c))))));
}

/** A two-column key/value table. */
export function kvTable(pairs) {
  return h("table", { class: "data kv" }, h("tbody", {}, pairs.map(([k, v]) =>
    h("tr", {}, h("th", { scope: "row", text: k }), h("td", {}, v)))));
}
