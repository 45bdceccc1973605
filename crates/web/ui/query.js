// The Query page: panels with an expression box, a Table tab (instant
// query) and a Graph tab (range query on a canvas). The panels' state
// lives in the URL with Prometheus' parameter names (`g0.expr`, `g0.tab`,
// `g0.range_input`, `g0.end_input`, `g0.moment_input`, `g0.res_type`,
// `g0.res_step`, `g0.display_mode`), so `/graph?g0.expr=…` links from
// Prometheus open here, including the old UI's `g0.tab=0|1`,
// `g0.stacked=1` and `g0.step_input`.

import {
  h, api, page, seriesName, parseDuration, formatDuration, formatTime, parseTime, zoneLabel,
  formatValue, num, humanSeconds,
} from "./util.js";
import { Chart } from "./graph.js";
import { attachCompletion } from "./complete.js";
import { attachHighlight } from "./highlight.js";

const MAX_ROWS = 10000;

function defaults() {
  return { expr: "", tab: "table", range: 3600, end: null, moment: null, step: null, stacked: false };
}

/** Panels from the URL's `g<i>.*` parameters. */
export function readState(search) {
  const q = new URLSearchParams(search);
  const panels = [];
  for (let i = 0; q.has(`g${i}.expr`) || q.has(`g${i}.tab`) || q.has(`g${i}.range_input`); i++) {
    const g = (k) => q.get(`g${i}.${k}`);
    const p = defaults();
    p.expr = g("expr") || "";
    const tab = g("tab");
    p.tab = tab === "0" || tab === "graph" ? "graph" : "table";
    p.range = parseDuration(g("range_input")) || 3600;
    p.end = parseTime(g("end_input"), true);
    p.moment = parseTime(g("moment_input"), true);
    const step = parseDuration(g("res_step") || g("step_input"));
    if (step && (g("res_type") === "custom" || g("res_type") === "fixed" || g("step_input"))) p.step = step;
    p.stacked = g("display_mode") === "stacked" || g("stacked") === "1";
    panels.push(p);
  }
  return panels;
}

function writeState(panels) {
  const q = new URLSearchParams();
  panels.forEach((p, i) => {
    const s = (k, v) => q.set(`g${i}.${k}`, v);
    s("expr", p.expr);
    s("tab", p.tab);
    s("range_input", formatDuration(p.range));
    if (p.end !== null) s("end_input", formatTime(p.end, true));
    if (p.moment !== null) s("moment_input", formatTime(p.moment, true));
    s("res_type", p.step ? "custom" : "auto");
    if (p.step) s("res_step", String(p.step));
    s("display_mode", p.stacked ? "stacked" : "lines");
  });
  const url = location.pathname + "?" + q.toString();
  if (url !== location.pathname + location.search) history.replaceState(null, "", url);
}

/** A parse error's `line:col:` prefix, shown as the line with a caret. */
function errorView(err, expr) {
  const box = h("div", { class: "error", role: "alert" }, `Error (${err.type}): ${err.message}`);
  const m = /(\d+):(\d+): parse error/.exec(err.message);
  if (m) {
    const line = expr.split("\n")[Number(m[1]) - 1];
    if (line !== undefined) box.append("\n\n" + line + "\n" + " ".repeat(Math.max(0, Number(m[2]) - 1)) + "^");
  }
  return box;
}

const STEPS_PER_GRAPH = 250;

class Panel {
  constructor(owner, state) {
    this.owner = owner;
    this.state = state;
    this.abort = null;
    const p = state;
    this.expr = h("textarea", {
      rows: 1, spellcheck: "false", "aria-label": "Expression",
      placeholder: "Expression (Enter runs, Shift+Enter adds a line)", value: p.expr,
    });
    const hl = attachHighlight(this.expr);
    const grow = () => {
      this.expr.rows = Math.min(10, this.expr.value.split("\n").length);
      p.expr = this.expr.value;
      hl.paint();
      owner.save();
    };
    const list = attachCompletion(this.expr, grow);
    this.expr.addEventListener("input", grow);
    this.expr.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.run();
      }
    });
    this.errorBox = h("div");
    this.tabButtons = {};
    const tab = (name, label) => {
      const b = h("button", {
        type: "button", role: "tab", "aria-selected": String(p.tab === name),
        onclick: () => this.setTab(name),
      }, label);
      this.tabButtons[name] = b;
      return b;
    };

    // Table tab.
    this.momentInput = h("input", {
      class: "time", "aria-label": `Evaluation time (${zoneLabel()})`, placeholder: "now",
      value: p.moment === null ? "" : formatTime(p.moment),
      onchange: () => { p.moment = parseTime(this.momentInput.value); this.changed(); },
    });
    this.tableStats = h("span", { class: "stats" });
    this.tableOut = h("div");
    this.tableView = h("div", { role: "tabpanel" },
      h("div", { class: "row controls" },
        h("label", { class: "muted" }, "Evaluation time "),
        this.momentInput,
        h("button", { type: "button", title: "Back by the range", onclick: () => this.shiftMoment(-1) }, "←"),
        h("button", { type: "button", title: "Forward by the range", onclick: () => this.shiftMoment(1) }, "→"),
        h("button", { type: "button", class: "link", onclick: () => { p.moment = null; this.momentInput.value = ""; this.changed(); } }, "now"),
        h("span", { class: "grow" }), this.tableStats),
      this.tableOut);

    // Graph tab.
    this.rangeInput = h("input", {
      class: "short", "aria-label": "Range", value: formatDuration(p.range),
      onchange: () => {
        const r = parseDuration(this.rangeInput.value);
        if (r) p.range = r;
        this.rangeInput.value = formatDuration(p.range);
        this.changed();
      },
    });
    this.endInput = h("input", {
      class: "time", "aria-label": `End time (${zoneLabel()})`, placeholder: "now",
      value: p.end === null ? "" : formatTime(p.end),
      onchange: () => { p.end = parseTime(this.endInput.value); this.changed(); },
    });
    this.stepInput = h("input", {
      class: "short", "aria-label": "Resolution (step)", placeholder: "auto",
      value: p.step ? formatDuration(p.step) : "",
      onchange: () => { p.step = parseDuration(this.stepInput.value); this.stepInput.value = p.step ? formatDuration(p.step) : ""; this.changed(); },
    });
    this.modeSelect = h("select", {
      "aria-label": "Display mode",
      onchange: () => { p.stacked = this.modeSelect.value === "stacked"; owner.save(); this.chart.setStacked(p.stacked); },
    }, h("option", { value: "lines", text: "Lines" }), h("option", { value: "stacked", text: "Stacked" }));
    this.modeSelect.value = p.stacked ? "stacked" : "lines";
    this.chart = new Chart();
    this.chart.stacked = p.stacked;
    this.graphStats = h("span", { class: "stats" });
    this.graphNote = h("div");
    this.graphView = h("div", { role: "tabpanel" },
      h("div", { class: "row controls" },
        h("button", { type: "button", title: "Shorter range", "aria-label": "Shorter range", onclick: () => this.zoom(0.5) }, "−"),
        this.rangeInput,
        h("button", { type: "button", title: "Longer range", "aria-label": "Longer range", onclick: () => this.zoom(2) }, "+"),
        h("button", { type: "button", title: "Earlier", "aria-label": "Earlier", onclick: () => this.shiftEnd(-1) }, "←"),
        this.endInput,
        h("button", { type: "button", title: "Later", "aria-label": "Later", onclick: () => this.shiftEnd(1) }, "→"),
        h("button", { type: "button", class: "link", onclick: () => { p.end = null; this.endInput.value = ""; this.changed(); } }, "now"),
        h("label", { class: "muted" }, "Step ", this.stepInput),
        this.modeSelect,
        h("span", { class: "grow" }), this.graphStats),
      this.graphNote, this.chart.el);

    this.el = h("section", { class: "panel", "aria-label": "Query panel" },
      h("div", { class: "row" },
        h("div", { class: "expr-wrap" }, hl.pre, this.expr, list),
        h("button", { type: "button", class: "primary", onclick: () => this.run() }, "Execute"),
        h("button", { type: "button", title: "Remove this panel", onclick: () => owner.remove(this) }, "Remove")),
      this.errorBox,
      h("div", { class: "tabs", role: "tablist" }, tab("table", "Table"), tab("graph", "Graph")),
      this.tableView, this.graphView);
    this.showTab();
    grow();
  }

  setTab(name) {
    this.state.tab = name;
    this.showTab();
    this.changed();
  }

  showTab() {
    for (const [n, b] of Object.entries(this.tabButtons)) b.setAttribute("aria-selected", String(n === this.state.tab));
    this.tableView.hidden = this.state.tab !== "table";
    this.graphView.hidden = this.state.tab !== "graph";
  }

  zoom(f) {
    this.state.range = Math.max(1, Math.round(this.state.range * f));
    this.rangeInput.value = formatDuration(this.state.range);
    this.changed();
  }

  shiftEnd(dir) {
    const end = this.state.end ?? Date.now();
    this.state.end = end + (dir * this.state.range * 1000) / 2;
    this.endInput.value = formatTime(this.state.end);
    this.changed();
  }

  shiftMoment(dir) {
    const t = this.state.moment ?? Date.now();
    this.state.moment = t + dir * this.state.range * 1000;
    this.momentInput.value = formatTime(this.state.moment);
    this.changed();
  }

  changed() {
    this.owner.save();
    if (this.state.expr.trim()) this.run();
  }

  async run() {
    const p = this.state;
    p.expr = this.expr.value;
    this.owner.save();
    if (!p.expr.trim()) return;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.errorBox.replaceChildren();
    const began = performance.now();
    try {
      if (p.tab === "table") {
        const time = (p.moment ?? Date.now()) / 1000;
        this.tableStats.textContent = "loading…";
        const body = await api("query", { query: p.expr, time: String(time) }, abort.signal);
        this.showWarnings(body);
        this.renderTable(body.data);
        this.tableStats.textContent = `${humanSeconds((performance.now() - began) / 1000)} · ${this.tableOut.dataset.count} result(s)`;
      } else {
        const end = (p.end ?? Date.now()) / 1000;
        const start = end - p.range;
        const step = p.step || Math.max(1, Math.round(p.range / STEPS_PER_GRAPH));
        this.graphStats.textContent = "loading…";
        const body = await api("query_range", {
          query: p.expr, start: String(start), end: String(end), step: String(step),
        }, abort.signal);
        this.showWarnings(body);
        const result = body.data.resultType === "matrix" ? body.data.result : [];
        this.graphNote.replaceChildren(body.data.resultType === "matrix" ? "" :
          h("div", { class: "warning", text: `The result is a ${body.data.resultType}: nothing to graph.` }));
        this.chart.setData(result, start, end, step);
        const points = result.reduce((n, r) => n + (r.values?.length || 0) + (r.histograms?.length || 0), 0);
        this.graphStats.textContent = `${humanSeconds((performance.now() - began) / 1000)} · ${result.length} series · ${points} points · step ${formatDuration(step)}`;
      }
    } catch (e) {
      if (e.name === "AbortError") return;
      (p.tab === "table" ? this.tableStats : this.graphStats).textContent = "";
      this.errorBox.replaceChildren(errorView(e, p.expr));
    }
  }

  showWarnings(body) {
    const notes = (body.warnings || []).concat(body.infos || []);
    if (notes.length) this.errorBox.replaceChildren(...notes.map((w) => h("div", { class: "warning", text: w })));
  }

  renderTable(data) {
    const rows = [];
    const r = data.result;
    if (data.resultType === "scalar" || data.resultType === "string") {
      rows.push([h("span", { class: "series", text: data.resultType }), r[1]]);
    } else if (data.resultType === "vector") {
      for (const s of r.slice(0, MAX_ROWS)) {
        const v = s.histogram ? `count=${s.histogram[1].count} sum=${s.histogram[1].sum}` : formatValue(num(s.value[1]));
        rows.push([h("span", { class: "series", text: seriesName(s.metric) }), v]);
      }
    } else {
      for (const s of r.slice(0, MAX_ROWS)) {
        const vals = (s.values || []).map(([t, v]) => `${v} @${t}`)
          .concat((s.histograms || []).map(([t, hv]) => `count=${hv.count} sum=${hv.sum} @${t}`));
        rows.push([h("span", { class: "series", text: seriesName(s.metric) }), h("div", { class: "mono" }, vals.map((v) => h("div", { text: v })))]);
      }
    }
    const n = Array.isArray(r) && data.resultType !== "scalar" && data.resultType !== "string" ? r.length : 1;
    this.tableOut.dataset.count = String(n);
    if (rows.length === 0) {
      this.tableOut.replaceChildren(h("p", { class: "muted", text: "Empty query result." }));
      return;
    }
    const t = h("table", { class: "data result" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Series" }), h("th", { scope: "col", text: "Value" }))),
      h("tbody", {}, rows.map(([a, b]) => h("tr", {}, h("td", {}, a), h("td", { class: "num" }, b)))));
    this.tableOut.replaceChildren(t, n > MAX_ROWS ? h("p", { class: "warning", text: `Showing ${MAX_ROWS} of ${n} series.` }) : "");
  }
}

class QueryPage {
  constructor(main) {
    this.panels = [];
    this.list = h("div");
    main.append(this.list, h("button", { type: "button", onclick: () => this.add(defaults(), true) }, "Add panel"));
    const initial = readState(location.search);
    if (initial.length === 0) initial.push(defaults());
    for (const p of initial) this.add(p, false);
    this.save();
    for (const p of this.panels) if (p.state.expr.trim()) p.run();
  }

  add(state, focus) {
    const p = new Panel(this, state);
    this.panels.push(p);
    this.list.append(p.el);
    this.save();
    if (focus) p.expr.focus();
  }

  remove(panel) {
    panel.abort?.abort();
    this.panels = this.panels.filter((p) => p !== panel);
    panel.el.remove();
    if (this.panels.length === 0) this.add(defaults(), true);
    this.save();
  }

  save() {
    writeState(this.panels.map((p) => p.state));
  }
}

export function render() {
  const main = page("Query");
  main.querySelector("h1").classList.add("muted");
  new QueryPage(main);
}
