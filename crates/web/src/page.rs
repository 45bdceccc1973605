//! The query page at `<prefix>/query`: one self-contained HTML document
//! (no external assets) with an expression box, a table of the instant
//! result and an SVG line graph of a range query, both fetched from the
//! API with relative URLs so the route prefix needs no templating. Every
//! value from the server is put in the page as text, never as markup.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const PAGE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Vigil</title>
<style>
body { font-family: sans-serif; margin: 1em 2em; }
textarea { width: 100%; font-family: monospace; }
table { border-collapse: collapse; margin-top: 1em; }
td, th { border: 1px solid #ccc; padding: 2px 6px; font-family: monospace; text-align: left; }
#error { color: #b00; white-space: pre-wrap; }
#warnings { color: #a60; white-space: pre-wrap; }
svg { border: 1px solid #ccc; margin-top: 1em; }
</style>
</head>
<body>
<h1>Vigil</h1>
<form id="form">
<textarea id="expr" name="g0.expr" rows="3" placeholder="Expression (press Shift+Enter for newlines)"></textarea><br>
<label>Range <input id="range" value="1h" size="6"></label>
<button type="submit">Execute</button>
<label><input type="radio" name="tab" value="table" checked> Table</label>
<label><input type="radio" name="tab" value="graph"> Graph</label>
</form>
<div id="error"></div>
<div id="warnings"></div>
<div id="out"></div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const units = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
function seconds(d) {
  let total = 0, m, re = /(\d+)(ms|s|m|h|d|w|y)/g, seen = "";
  while ((m = re.exec(d)) !== null) { total += Number(m[1]) * units[m[2]]; seen += m[0]; }
  return seen === d && total > 0 ? total : 3600;
}
function labels(metric) {
  const name = metric.__name__ || "";
  const rest = Object.keys(metric).filter((k) => k !== "__name__")
    .map((k) => k + "=" + JSON.stringify(metric[k]));
  return name + (rest.length || !name ? "{" + rest.join(", ") + "}" : "");
}
function cell(row, text, tag) {
  const c = document.createElement(tag || "td");
  c.textContent = text;
  row.appendChild(c);
}
async function api(path, params) {
  const resp = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  const body = await resp.json();
  if (body.status !== "success") { throw new Error(body.errorType + ": " + body.error); }
  $("warnings").textContent = (body.warnings || []).concat(body.infos || []).join("\n");
  return body.data;
}
function histText(h) { return "count=" + h.count + " sum=" + h.sum; }
function showTable(data) {
  const t = document.createElement("table");
  const head = t.insertRow();
  cell(head, "Series", "th");
  cell(head, "Value", "th");
  const r = data.result;
  if (data.resultType === "scalar" || data.resultType === "string") {
    const row = t.insertRow();
    cell(row, data.resultType);
    cell(row, r[1]);
  } else if (data.resultType === "vector") {
    for (const s of r) {
      const row = t.insertRow();
      cell(row, labels(s.metric));
      cell(row, s.value ? s.value[1] : histText(s.histogram[1]));
    }
  } else {
    for (const s of r) {
      const row = t.insertRow();
      cell(row, labels(s.metric));
      cell(row, (s.values || []).map((v) => v[1] + " @" + v[0]).join("\n"));
    }
  }
  if (r.length === 0) { const row = t.insertRow(); cell(row, "Empty query result"); cell(row, ""); }
  $("out").appendChild(t);
}
const SVG = "http://www.w3.org/2000/svg";
function svgEl(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const k in attrs) { e.setAttribute(k, attrs[k]); }
  return e;
}
function showGraph(data, start, end) {
  const W = 900, H = 320, P = 50;
  const series = data.result.filter((s) => s.values && s.values.length);
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    for (const v of s.values) {
      const f = Number(v[1]);
      if (isFinite(f)) { lo = Math.min(lo, f); hi = Math.max(hi, f); }
    }
  }
  if (lo === Infinity) { $("out").textContent = "No datapoints found."; return; }
  if (lo === hi) { lo -= 1; hi += 1; }
  const x = (t) => P + (t - start) / (end - start) * (W - 2 * P);
  const y = (f) => H - P - (f - lo) / (hi - lo) * (H - 2 * P);
  const svg = svgEl("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H });
  svg.appendChild(svgEl("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#888" }));
  svg.appendChild(svgEl("line", { x1: P, y1: P, x2: P, y2: H - P, stroke: "#888" }));
  const label = (text, ax, ay, anchor) => {
    const t = svgEl("text", { x: ax, y: ay, "font-size": 11, "text-anchor": anchor });
    t.textContent = text;
    svg.appendChild(t);
  };
  label(String(hi), P - 4, P + 4, "end");
  label(String(lo), P - 4, H - P, "end");
  label(new Date(start * 1000).toISOString(), P, H - P + 16, "start");
  label(new Date(end * 1000).toISOString(), W - P, H - P + 16, "end");
  const legend = document.createElement("ul");
  series.forEach((s, i) => {
    const color = "hsl(" + (i * 137 % 360) + ",70%,40%)";
    // Gaps (missing steps, NaN) break the line.
    let d = "", pen = "M";
    let prev = null;
    for (const v of s.values) {
      const f = Number(v[1]);
      if (!isFinite(f) || (prev !== null && v[0] - prev > data.step * 1.5)) { pen = "M"; }
      if (isFinite(f)) { d += pen + x(v[0]).toFixed(1) + "," + y(f).toFixed(1) + " "; pen = "L"; }
      prev = v[0];
    }
    svg.appendChild(svgEl("path", { d: d, fill: "none", stroke: color, "stroke-width": 1.5 }));
    const li = document.createElement("li");
    li.style.color = color;
    li.textContent = labels(s.metric);
    legend.appendChild(li);
  });
  $("out").appendChild(svg);
  $("out").appendChild(legend);
}
async function run() {
  const expr = $("expr").value;
  $("error").textContent = "";
  $("warnings").textContent = "";
  $("out").textContent = "";
  const params = new URLSearchParams(location.search);
  params.set("g0.expr", expr);
  const tab = document.querySelector("input[name=tab]:checked").value;
  params.set("g0.tab", tab);
  history.replaceState(null, "", "?" + params.toString());
  if (!expr.trim()) { return; }
  try {
    if (tab === "table") {
      showTable(await api("api/v1/query", { query: expr }));
    } else {
      const end = Date.now() / 1000, start = end - seconds($("range").value);
      const step = Math.max(1, Math.ceil((end - start) / 250));
      const data = await api("api/v1/query_range", { query: expr, start: start, end: end, step: step });
      data.step = step;
      showGraph(data, start, end);
    }
  } catch (e) {
    $("error").textContent = e.message;
  }
}
$("form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
$("expr").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); run(); }
});
const initial = new URLSearchParams(location.search);
if (initial.get("g0.expr")) {
  $("expr").value = initial.get("g0.expr");
  if (initial.get("g0.tab") === "graph") { document.querySelector("input[value=graph]").checked = true; }
  run();
}
</script>
</body>
</html>
"##;

/// `GET /query`: the page.
pub(crate) async fn page() -> Response {
    let mut r = PAGE.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}
