// Autocompletion for the expression box: metric names, label names (inside
// `{…}` and `by (…)`), label values (after `name=`, limited to the selector's
// metric when it has one), PromQL functions and keywords, in a plain listbox
// under the textarea (ARIA combobox pattern, keyboard driven).

import { h, api } from "./util.js";

export const FUNCTIONS = `abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time
ceil changes clamp clamp_max clamp_min cos cosh count_over_time day_of_month day_of_week
day_of_year days_in_month deg delta deriv double_exponential_smoothing exp floor
histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev
histogram_stdvar histogram_sum hour idelta increase info irate label_join label_replace
last_over_time ln log10 log2 mad_over_time max_over_time min_over_time minute month pi
predict_linear present_over_time quantile_over_time rad rate resets round scalar sgn sin
sinh sort sort_by_label sort_by_label_desc sort_desc sqrt stddev_over_time
stdvar_over_time sum_over_time tan tanh time timestamp vector year`.split(/\s+/);

export const AGGREGATIONS = `sum min max avg group stddev stdvar count count_values bottomk topk
quantile limitk limit_ratio`.split(/\s+/);

export const KEYWORDS = `by without on ignoring group_left group_right offset bool and or unless
atan2`.split(/\s+/);

let metricNames = null;
let labelNames = null;
const labelValues = new Map();

function load(which) {
  if (which === "metric") {
    metricNames ??= api("label/__name__/values").then((b) => b.data, () => []);
    return metricNames;
  }
  labelNames ??= api("labels").then((b) => b.data, () => []);
  return labelNames;
}

/** Values of label `name`, of the series of `metric` when it is known. */
function loadValues(name, metric) {
  const key = `${name}\u0000${metric || ""}`;
  if (!labelValues.has(key)) {
    // GET only: the label values endpoint takes no form body.
    const match = metric ? `?match[]=${encodeURIComponent(metric)}` : "";
    labelValues.set(key, api(`label/${encodeURIComponent(name)}/values${match}`)
      .then((b) => b.data, () => []));
  }
  return labelValues.get(key);
}

/** A label value typed so far inside `{…}`: `name op "partial` (or just
 * `name op`), with the metric name written before the brace. */
const VALUE = /([A-Za-z_][\w]*)\s*(?:=~|!~|!=|=)\s*(["'`]?)((?:[^"'`\\]|\\.)*)$/;

/** What the text before the cursor asks for: `{token, kind}`, kind being
 * "label", "value" (with `label`, `quote` and `metric`), "expr" or null
 * (nothing to offer). */
function context(before) {
  const token = (/[A-Za-z_:][\w:]*$/.exec(before) || [""])[0];
  const open = before.lastIndexOf("{");
  if (open > before.lastIndexOf("}")) {
    const inside = before.slice(open);
    const v = VALUE.exec(inside);
    if (v && (v[2] || !v[3])) {
      const metric = (/([A-Za-z_:][\w:]*)\s*$/.exec(before.slice(0, open)) || [])[1];
      return { token: v[3], kind: "value", label: v[1], quote: v[2], metric };
    }
    const quotes = (inside.match(/(?<!\\)["'`]/g) || []).length;
    if (quotes % 2) return { token, kind: null };
    // After a label name and its operator comes a value, not a name.
    if (/(=|!=|=~|!~)\s*$/.test(before.slice(0, before.length - token.length))) return { token, kind: null };
    return { token, kind: "label" };
  }
  if (/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*$/.test(before)) {
    return { token, kind: "label" };
  }
  return { token, kind: token ? "expr" : null };
}

function rank(items, token) {
  const lower = token.toLowerCase();
  const starts = [], contains = [];
  for (const it of items) {
    if (it.text === token) continue;
    if (it.text.startsWith(token)) starts.push(it);
    else if (token && it.text.toLowerCase().includes(lower)) contains.push(it);
    if (starts.length >= 60) break;
  }
  return starts.concat(contains).slice(0, 60);
}

let ids = 0;

/** Wires completion into `textarea`; returns the listbox element to put
 * right after it. `onInput` is called after an accepted completion. */
export function attachCompletion(textarea, onInput) {
  const list = h("ul", { class: "complete", role: "listbox", id: `complete-${++ids}`, hidden: true });
  textarea.setAttribute("role", "combobox");
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", list.id);
  textarea.setAttribute("aria-expanded", "false");
  let items = [], selected = -1, token = "", quote = "", seq = 0;

  const close = () => {
    list.hidden = true;
    items = [];
    selected = -1;
    textarea.setAttribute("aria-expanded", "false");
    textarea.removeAttribute("aria-activedescendant");
  };
  const select = (i) => {
    selected = i;
    [...list.children].forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    const li = list.children[i];
    if (li) {
      textarea.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }
  };
  const accept = (i) => {
    const it = items[i];
    if (!it) return;
    const pos = textarea.selectionStart;
    const value = textarea.value;
    const start = pos - token.length;
    let insert = it.kind === "function" ? it.text + "()" : it.text;
    let after = value.slice(pos);
    if (it.kind === "value") {
      // Quote the value as a PromQL string, closing the quote once.
      const q = quote || '"';
      let body = it.text;
      if (q !== "`") {
        body = JSON.stringify(body).slice(1, -1);
        if (q === "'") body = body.replace(/'/g, "\\'");
      }
      insert = (quote ? "" : q) + body + q;
      if (after.startsWith(q)) after = after.slice(1);
    }
    textarea.value = value.slice(0, start) + insert + after;
    const caret = start + insert.length - (it.kind === "function" ? 1 : 0);
    textarea.setSelectionRange(caret, caret);
    close();
    onInput?.();
  };

  const update = async () => {
    const pos = textarea.selectionStart;
    if (pos !== textarea.selectionEnd) return close();
    const ctx = context(textarea.value.slice(0, pos));
    if (!ctx.kind) return close();
    const mine = ++seq;
    let pool;
    if (ctx.kind === "label") {
      pool = (await load("label")).map((text) => ({ text, kind: "label" }));
    } else if (ctx.kind === "value") {
      pool = (await loadValues(ctx.label, ctx.metric)).map((text) => ({ text, kind: "value" }));
    } else {
      const metrics = await load("metric");
      pool = [
        ...FUNCTIONS.map((text) => ({ text, kind: "function" })),
        ...AGGREGATIONS.map((text) => ({ text, kind: "aggregation" })),
        ...KEYWORDS.map((text) => ({ text, kind: "keyword" })),
        ...metrics.map((text) => ({ text, kind: "metric" })),
      ];
    }
    if (mine !== seq || document.activeElement !== textarea) return;
    token = ctx.token;
    quote = ctx.quote || "";
    items = rank(pool, token);
    if (items.length === 0) return close();
    list.replaceChildren(...items.map((it, i) => h("li", {
      role: "option", id: `${list.id}-${i}`, "aria-selected": "false",
      onmousedown: (e) => { e.preventDefault(); accept(i); },
    }, h("span", { text: it.text }), h("span", { class: "kind", text: it.kind }))));
    list.hidden = false;
    textarea.setAttribute("aria-expanded", "true");
    select(0);
  };

  textarea.addEventListener("input", update);
  textarea.addEventListener("blur", () => setTimeout(close, 100));
  textarea.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = items.length;
      select((selected + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
    } else if ((e.key === "Enter" && !e.shiftKey) || e.key === "Tab") {
      if (selected >= 0) {
        e.preventDefault();
        e.stopImmediatePropagation();
        accept(selected);
      }
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopImmediatePropagation();
      close();
    }
  });
  return list;
}
