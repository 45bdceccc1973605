// Entry point of the Alertmanager UI: hash routes as upstream's UI has
// them (#/alerts, #/silences, #/silences/new?filter=..., #/silences/<id>,
// #/silences/<id>/edit, #/status), so links that Alertmanager puts in
// notifications keep working.

import { h, page, table, kvTable, labelChips, ago, formatTime } from "./util.js";
import { amApi, matchersFromText, navigate, stateBadge, silences, silenceView, silenceForm } from "./silences.js";

/** `#/silences/new?filter=x` → { path: ["silences", "new"], query }. */
function route() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, q] = raw.split("?");
  return { path: path.split("/").filter(Boolean), query: new URLSearchParams(q || "") };
}

function markNav(name) {
  for (const a of document.querySelectorAll(".top nav a")) {
    if (a.dataset.page === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function alerts(query) {
  const main = page("Alerts");
  const filter = h("input", {
    type: "text", class: "grow mono", "aria-label": "Filter",
    placeholder: '{alertname="Example", severity=~"crit.*"}', value: query.get("filter") || "",
  });
  const box = (name, label, on) => {
    const input = h("input", { type: "checkbox", id: "f-" + name });
    input.checked = on;
    return [input, h("label", { for: "f-" + name, text: label })];
  };
  const [silenced, silencedLabel] = box("silenced", "Silenced", query.get("silenced") === "true");
  const [inhibited, inhibitedLabel] = box("inhibited", "Inhibited", query.get("inhibited") === "true");
  const apply = () => {
    const q = new URLSearchParams();
    if (filter.value.trim()) q.set("filter", filter.value.trim());
    if (silenced.checked) q.set("silenced", "true");
    if (inhibited.checked) q.set("inhibited", "true");
    navigate("#/alerts" + (q.toString() ? "?" + q : ""));
  };
  filter.addEventListener("keydown", (e) => { if (e.key === "Enter") apply(); });
  silenced.addEventListener("change", apply);
  inhibited.addEventListener("change", apply);
  main.append(h("div", { class: "row" }, filter,
    h("button", { class: "primary", type: "button", onclick: apply, text: "Filter" }),
    silenced, silencedLabel, inhibited, inhibitedLabel));
  const out = h("div", { "aria-live": "polite" });
  main.append(out);

  const params = new URLSearchParams({
    active: "true", silenced: String(silenced.checked), inhibited: String(inhibited.checked),
  });
  try {
    for (const m of matchersFromText(filter.value)) params.append("filter", m.text);
  } catch (e) {
    out.append(h("div", { class: "error", role: "alert", text: e.message }));
    return;
  }
  const groups = await amApi("alerts/groups?" + params);
  if (!groups.length) {
    out.append(h("p", { class: "muted", text: "No alert groups found." }));
    return;
  }
  groups.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
  for (const g of groups) {
    const count = g.alerts.length;
    out.append(h("details", { class: "section group", open: true },
      h("summary", {},
        Object.keys(g.labels).length ? labelChips(g.labels) : h("span", { class: "muted", text: "Not grouped" }),
        h("span", { class: "receiver muted", text: `receiver: ${g.receiver?.name ?? ""}` }),
        h("span", { class: "muted", text: `${count} alert${count === 1 ? "" : "s"}` })),
      h("div", { class: "body" }, g.alerts.map((a) => alertRow(a, g.labels)))));
  }
}

function alertRow(a, groupLabels) {
  const own = Object.fromEntries(Object.entries(a.labels).filter(([k]) => !(k in groupLabels)));
  const silence = "#/silences/new?filter=" + encodeURIComponent(
    "{" + Object.keys(a.labels).sort().map((k) => `${k}=${JSON.stringify(a.labels[k])}`).join(", ") + "}");
  const ann = Object.keys(a.annotations || {}).sort();
  return h("div", { class: "alert-row" },
    h("div", { class: "row" },
      h("span", { class: "when", title: a.startsAt, text: formatTime(Date.parse(a.startsAt)) }),
      stateBadge(a.status?.state),
      labelChips(own),
      h("a", { href: silence, text: "Silence" }),
      a.generatorURL ? h("a", { href: a.generatorURL, rel: "noopener", text: "Source" }) : null,
      (a.status?.silencedBy || []).map((id) => h("a", { href: "#/silences/" + id, text: "silenced by " + id.slice(0, 8) }))),
    ann.length ? h("dl", { class: "annotations" },
      ann.map((k) => [h("dt", { text: k }), h("dd", { text: a.annotations[k] })])) : null);
}

async function status() {
  const main = page("Status");
  const s = await amApi("status");
  const v = s.versionInfo || {};
  // h() drops nulls; the DOM's own append would print them.
  main.append(h("div", {},
    h("h2", { text: "Status" }),
    kvTable([
      ["Uptime", h("span", { title: s.uptime, text: s.uptime ? ago(s.uptime).replace(" ago", "") : "" })],
    ]),
    h("h2", { text: "Cluster status" }),
    kvTable([
      ["Name", s.cluster?.name || ""],
      ["Status", stateBadge(s.cluster?.status || "disabled")],
    ]),
    (s.cluster?.peers || []).length
      ? table(["Peer", "Address"], s.cluster.peers.map((p) => [p.name, p.address])) : null,
    h("h2", { text: "Version information" }),
    kvTable(Object.keys(v).sort().map((k) => [k, v[k]])),
    h("h2", { text: "Config" }),
    h("pre", { text: s.config?.original || "" })));
}

async function render() {
  const { path, query } = route();
  const [first, second, third] = path;
  markNav(first || "alerts");
  if (first === "silences") {
    if (second === "new") return silenceForm(null, query);
    if (second && third === "edit") return silenceForm(second, query);
    if (second) return silenceView(second);
    return silences(query);
  }
  if (first === "status") return status();
  return alerts(query);
}

function show() {
  Promise.resolve()
    .then(render)
    .catch((e) => {
      page("Error").append(h("div", { class: "error", role: "alert", text: String(e.message || e) }));
    });
}

window.addEventListener("hashchange", show);
show();
