// The read-only pages: alerts, rules, targets, service discovery, status,
// flags, config and TSDB status. Each fetches its API endpoint once and
// renders it; every value goes into the page as text.

import {
  h, api, page, labelChips, badge, ago, humanSeconds, table, kvTable, formatTime, formatDuration, zoneLabel,
} from "./util.js";

function loading(main) {
  const box = h("div", { class: "muted", text: "Loading…" });
  main.append(box);
  return box;
}

function errorBox(e) {
  return h("div", { class: "error", role: "alert", text: `Error (${e.type || "error"}): ${e.message}` });
}

async function load(main, path) {
  const spin = loading(main);
  try {
    return (await api(path)).data;
  } catch (e) {
    main.append(errorBox(e));
    return null;
  } finally {
    spin.remove();
  }
}

function section(head, body, open = true) {
  return h("details", { class: "section", open }, h("summary", {}, head), h("div", { class: "body" }, body));
}

const time = (iso) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) || t <= 0 ? "" : formatTime(t) + " " + zoneLabel();
};

const since = (iso) => h("span", { title: time(iso), text: ago(iso) });

// Alerts ------------------------------------------------------------------

export async function alerts() {
  const main = page("Alerts");
  const data = await load(main, "rules?type=alert");
  if (!data) return;
  const rules = data.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name, file: g.file })));
  const order = ["firing", "pending", "inactive"];
  const counts = Object.fromEntries(order.map((s) => [s, rules.filter((r) => r.state === s).length]));
  const shown = new Set(order);
  const list = h("div");
  const draw = () => {
    list.replaceChildren();
    for (const state of order) {
      if (!shown.has(state)) continue;
      const these = rules.filter((r) => r.state === state);
      if (these.length === 0) continue;
      list.append(h("h2", {}, badge(state), ` ${these.length} rule(s)`));
      for (const r of these) list.append(alertRule(r));
    }
    if (!list.firstChild) list.append(h("p", { class: "muted", text: "No alerting rules to show." }));
  };
  main.append(h("div", { class: "row", role: "group", "aria-label": "States shown" }, order.map((s) =>
    h("label", {}, h("input", {
      type: "checkbox", checked: true,
      onchange: (e) => { e.target.checked ? shown.add(s) : shown.delete(s); draw(); },
    }), ` ${s} (${counts[s]})`))), list);
  draw();
}

function alertRule(r) {
  const active = r.alerts || [];
  const head = [badge(r.state), h("span", { class: "mono", text: r.name }),
    h("span", { class: "muted", text: `${r.group} · ${active.length} active` })];
  const body = [
    h("pre", { text: ruleText(r) }),
    active.length === 0 ? null : table(["Labels", "State", "Active since", "Value", "Annotations"],
      active.map((a) => [labelChips(a.labels), badge(a.state), since(a.activeAt), a.value,
        h("div", {}, Object.entries(a.annotations || {}).map(([k, v]) => h("div", {}, h("strong", { text: k + ": " }), v)))])),
  ];
  return section(head, body, r.state !== "inactive");
}

function ruleText(r) {
  let s = `${r.type === "alerting" ? "alert" : "record"}: ${r.name}\nexpr: ${r.query}`;
  if (r.duration) s += `\nfor: ${formatDuration(r.duration)}`;
  if (r.keepFiringFor) s += `\nkeep_firing_for: ${formatDuration(r.keepFiringFor)}`;
  const block = (name, m) => {
    const keys = Object.keys(m || {});
    if (keys.length) s += `\n${name}:\n` + keys.map((k) => `  ${k}: ${m[k]}`).join("\n");
  };
  block("labels", r.labels);
  block("annotations", r.annotations);
  return s;
}

// Rules -------------------------------------------------------------------

export async function rules() {
  const main = page("Rules");
  const data = await load(main, "rules");
  if (!data) return;
  if (data.groups.length === 0) main.append(h("p", { class: "muted", text: "No rule groups loaded." }));
  for (const g of data.groups) {
    const head = [h("span", { class: "mono", text: g.name }),
      h("span", { class: "muted", text: `${g.file} · every ${formatDuration(g.interval)} · last run ${ago(g.lastEvaluation)} · took ${humanSeconds(g.evaluationTime)}` })];
    const rows = g.rules.map((r) => [
      h("pre", { text: ruleText(r) }),
      badge(r.health),
      r.lastError ? h("span", { class: "error", text: r.lastError }) : "",
      since(r.lastEvaluation),
      humanSeconds(r.evaluationTime),
    ]);
    main.append(section(head, table(["Rule", "Health", "Last error", "Last evaluation", "Evaluation time"], rows, [4])));
  }
}

// Targets -----------------------------------------------------------------

export async function targets() {
  const main = page("Targets");
  const data = await load(main, "targets?state=active");
  if (!data) return;
  const filter = h("input", { type: "search", placeholder: "Filter by endpoint or labels", "aria-label": "Filter targets", class: "grow" });
  const unhealthy = h("input", { type: "checkbox" });
  const list = h("div");
  const pools = new Map();
  for (const t of data.activeTargets) {
    if (!pools.has(t.scrapePool)) pools.set(t.scrapePool, []);
    pools.get(t.scrapePool).push(t);
  }
  const draw = () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.replaceChildren();
    for (const [pool, all] of [...pools].sort((a, b) => a[0].localeCompare(b[0]))) {
      const up = all.filter((t) => t.health === "up").length;
      const ts = all.filter((t) => {
        if (unhealthy.checked && t.health === "up") return false;
        const text = (t.scrapeUrl + " " + Object.entries(t.labels).map(([k, v]) => `${k}="${v}"`).join(" ")).toLowerCase();
        return words.every((w) => text.includes(w));
      });
      if (ts.length === 0) continue;
      const rows = ts.map((t) => [
        h("a", { href: t.scrapeUrl, class: "mono", text: t.scrapeUrl, rel: "noreferrer" }),
        badge(t.health),
        labelChips(t.labels),
        since(t.lastScrape),
        humanSeconds(t.lastScrapeDuration),
        t.lastError ? h("span", { class: "error", text: t.lastError }) : "",
      ]);
      list.append(section([h("span", { class: "mono", text: pool }), h("span", { class: up === all.length ? "badge ok" : "badge bad", text: `${up}/${all.length} up` })],
        table(["Endpoint", "State", "Labels", "Last scrape", "Scrape duration", "Error"], rows, [4])));
    }
    if (!list.firstChild) list.append(h("p", { class: "muted", text: "No targets match." }));
  };
  filter.addEventListener("input", draw);
  unhealthy.addEventListener("change", draw);
  main.append(h("div", { class: "row" }, filter, h("label", {}, unhealthy, " Unhealthy only")), list);
  draw();
}

// Service discovery -------------------------------------------------------

export async function serviceDiscovery() {
  const main = page("Service discovery");
  const data = await load(main, "targets?state=any");
  if (!data) return;
  const pools = new Map();
  const add = (pool, row) => {
    if (!pools.has(pool)) pools.set(pool, { active: 0, dropped: 0, rows: [] });
    const p = pools.get(pool);
    p.rows.push(row);
    row.dropped ? p.dropped++ : p.active++;
  };
  for (const t of data.activeTargets) add(t.scrapePool, { discovered: t.discoveredLabels, labels: t.labels });
  for (const t of data.droppedTargets || []) {
    const pool = t.scrapePool || t.discoveredLabels?.job || "(unknown pool)";
    add(pool, { discovered: t.discoveredLabels, dropped: true });
  }
  for (const [name, c] of Object.entries(data.droppedTargetCounts || {})) {
    if (!pools.has(name)) pools.set(name, { active: 0, dropped: c, rows: [] });
  }
  if (pools.size === 0) main.append(h("p", { class: "muted", text: "No scrape pools." }));
  for (const [pool, p] of [...pools].sort((a, b) => a[0].localeCompare(b[0]))) {
    const dropped = Math.max(p.dropped, data.droppedTargetCounts?.[pool] || 0);
    const rows = p.rows.map((r) => [labelChips(r.discovered),
      r.dropped ? badge("dropped") : labelChips(r.labels)]);
    main.append(section([h("span", { class: "mono", text: pool }), h("span", { class: "muted", text: `${p.active} active, ${dropped} dropped` })],
      table(["Discovered labels", "Target labels"], rows)));
  }
}

// Status, flags, config ---------------------------------------------------

export async function status() {
  const main = page("Status");
  const [runtime, build] = await Promise.all([load(main, "status/runtimeinfo"), load(main, "status/buildinfo")]);
  const pairs = (o) => Object.entries(o || {}).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]);
  if (runtime) {
    main.append(h("h2", { text: "Runtime information" }), kvTable(pairs(runtime).map(([k, v]) =>
      [k, /Time$/.test(k) && Date.parse(v) > 0 ? `${v} (${ago(v)})` : v])));
  }
  if (build) main.append(h("h2", { text: "Build information" }), kvTable(pairs(build)));
}

export async function flags() {
  const main = page("Command-line flags");
  const data = await load(main, "status/flags");
  if (!data) return;
  const filter = h("input", { type: "search", placeholder: "Filter flags", "aria-label": "Filter flags" });
  const out = h("div");
  const draw = () => {
    const w = filter.value.toLowerCase();
    const rows = Object.keys(data).sort().filter((k) => (k + " " + data[k]).toLowerCase().includes(w))
      .map((k) => [h("span", { class: "mono", text: "--" + k }), h("span", { class: "mono", text: data[k] })]);
    out.replaceChildren(table(["Flag", "Value"], rows));
  };
  filter.addEventListener("input", draw);
  main.append(h("div", { class: "row" }, filter), out);
  draw();
}

export async function config() {
  const main = page("Configuration");
  const data = await load(main, "status/config");
  if (!data) return;
  const pre = h("pre", { text: data.yaml });
  const copy = h("button", {
    type: "button",
    onclick: () => navigator.clipboard?.writeText(data.yaml).then(() => { copy.textContent = "Copied"; }, () => {}),
  }, "Copy to clipboard");
  main.append(h("div", { class: "row" }, copy), pre);
}

// TSDB status -------------------------------------------------------------

export async function tsdbStatus() {
  const main = page("TSDB status");
  const data = await load(main, "status/tsdb");
  if (!data) return;
  const hs = data.headStats || {};
  const t = (ms) => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? `${formatTime(ms)} ${zoneLabel()} (${ms})` : String(ms));
  main.append(h("h2", { text: "Head block" }), table(
    ["Number of series", "Number of chunks", "Number of label pairs", "Current min time", "Current max time"],
    [[hs.numSeries, hs.chunkCount, hs.numLabelPairs, t(hs.minTime), t(hs.maxTime)].map((v) => String(v ?? ""))]));
  const top = (title, key, col) => {
    const rows = (data[key] || []).map((e) => [h("span", { class: "mono", text: e.name }), String(e.value)]);
    main.append(h("h2", { text: title }), rows.length ? table([col, "Count"], rows, [1]) : h("p", { class: "muted", text: "None." }));
  };
  top("Top series count by metric name", "seriesCountByMetricName", "Name");
  top("Top label names with value count", "labelValueCountByLabelName", "Name");
  top("Top label names with high memory usage", "memoryInBytesByLabelName", "Name");
  top("Top series count by label value pairs", "seriesCountByLabelValuePair", "Name");
}
