// Silences: the list (by state), one silence with the alerts it mutes,
// and the form that creates or edits one. Also the API helper and the
// matcher parser the alerts page shares.

import { h, page, kvTable, labelChips, ago, formatTime, parseTime, parseDuration, formatDuration } from "./util.js";

/** Goes to `hash`, rendering again when it is the current one (after an
 * action changed what the page shows). */
export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/** Calls `api/v2/<path>` (relative, so under the route prefix); resolves
 * to the decoded JSON body, or rejects with the server's message. */
export async function amApi(path, init = {}) {
  let resp;
  try {
    resp = await fetch("api/v2/" + path, { ...init, headers: { Accept: "application/json", ...(init.headers || {}) } });
  } catch (e) {
    throw new Error("cannot reach Alertmanager: " + e.message);
  }
  const text = await resp.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!resp.ok) {
    const msg = typeof body === "string" ? body : body?.message || body?.error || text;
    throw new Error(`${resp.status}: ${msg || resp.statusText}`);
  }
  return body;
}

const OPS = ["=~", "!~", "!=", "="];

/** Parses `{a="b", c=~"d.*"}` (braces optional) into matchers
 * `{name, value, isRegex, isEqual, text}`; throws naming the position of
 * the first thing it cannot read. */
export function matchersFromText(input) {
  let s = String(input || "").trim();
  if (s.startsWith("{")) {
    if (!s.endsWith("}")) throw new Error("matchers: missing closing '}'");
    s = s.slice(1, -1);
  }
  const out = [];
  let i = 0;
  const fail = (what) => { throw new Error(`matchers: ${what} at character ${i + 1} of ${JSON.stringify(s)}`); };
  while (i < s.length) {
    while (i < s.length && /[\s,]/.test(s[i])) i++;
    if (i >= s.length) break;
    const start = i;
    while (i < s.length && !/[=!~\s,]/.test(s[i])) i++;
    const name = s.slice(start, i);
    if (!name) fail("expected a label name");
    while (s[i] === " ") i++;
    const op = OPS.find((o) => s.startsWith(o, i));
    if (!op) fail(`expected one of ${OPS.join(" ")} after ${name}`);
    i += op.length;
    while (s[i] === " ") i++;
    let value = "";
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s[i++];
        if (c === "\\" && i < s.length) {
          const e = s[i++];
          value += e === "n" ? "\n" : e === "t" ? "\t" : e;
        } else if (c === '"') {
          closed = true;
          break;
        } else value += c;
      }
      if (!closed) fail("unterminated quoted value");
    } else {
      const vs = i;
      while (i < s.length && s[i] !== ",") i++;
      value = s.slice(vs, i).trim();
    }
    out.push({
      name, value, isRegex: op.includes("~"), isEqual: !op.startsWith("!"),
      text: `${name}${op}${JSON.stringify(value)}`,
    });
  }
  return out;
}

function opOf(m) {
  if (m.isRegex) return m.isEqual === false ? "!~" : "=~";
  return m.isEqual === false ? "!=" : "=";
}

/** One matcher as API filter text: `name=~"value"`. */
function matcherText(m) {
  return `${m.name}${opOf(m)}${JSON.stringify(m.value)}`;
}

/** A matcher list back as text: `{a="b", c=~"d"}`. */
export function matchersText(ms) {
  return "{" + (ms || []).map(matcherText).join(", ") + "}";
}

function matcherChips(ms) {
  return h("div", { class: "labels" }, (ms || []).map((m) => h("span", { class: "label", text: matcherText(m) })));
}

/** A badge for an alert or silence state. */
export function stateBadge(state) {
  const w = String(state || "unknown").toLowerCase();
  const kind = { active: "bad", firing: "bad", suppressed: "none", unprocessed: "warn",
    pending: "warn", expired: "none", ready: "ok", settling: "warn", disabled: "none" }[w] || "none";
  return h("span", { class: "badge " + kind, text: w });
}

const STATES = ["active", "pending", "expired"];

export async function silences(query) {
  const main = page("Silences");
  const filter = h("input", {
    type: "text", class: "grow mono", "aria-label": "Filter",
    placeholder: '{alertname="Example"}', value: query.get("filter") || "",
  });
  const want = STATES.includes(query.get("state")) ? query.get("state") : "active";
  const go = (state) => {
    const q = new URLSearchParams();
    if (filter.value.trim()) q.set("filter", filter.value.trim());
    if (state !== "active") q.set("state", state);
    navigate("#/silences" + (q.toString() ? "?" + q : ""));
  };
  filter.addEventListener("keydown", (e) => { if (e.key === "Enter") go(want); });
  main.append(h("div", { class: "row" }, filter,
    h("button", { class: "primary", type: "button", onclick: () => go(want), text: "Filter" })));
  const params = new URLSearchParams();
  try {
    for (const m of matchersFromText(filter.value)) params.append("filter", m.text);
  } catch (e) {
    main.append(h("div", { class: "error", role: "alert", text: e.message }));
    return;
  }
  const all = await amApi("silences" + (params.toString() ? "?" + params : ""));
  const by = Object.fromEntries(STATES.map((s) => [s, all.filter((x) => x.status?.state === s)]));
  main.append(h("div", { class: "tabs", role: "tablist" }, STATES.map((s) =>
    h("button", {
      type: "button", role: "tab", "aria-selected": String(s === want), onclick: () => go(s),
      text: `${s[0].toUpperCase()}${s.slice(1)} (${by[s].length})`,
    }))));
  const list = by[want].sort((a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt));
  if (!list.length) {
    main.append(h("p", { class: "muted", text: `No ${want} silences.` }));
    return;
  }
  for (const s of list) {
    const actions = h("span", { class: "row" },
      h("a", { href: "#/silences/" + s.id, text: "View" }),
      h("a", { href: `#/silences/${s.id}/edit`, text: s.status.state === "expired" ? "Recreate" : "Edit" }),
      s.status.state !== "expired" ? h("button", {
        type: "button", class: "link", text: "Expire",
        onclick: async () => { await expire(s.id); go(want); },
      }) : null);
    main.append(h("section", { class: "section silence", dataset: { id: s.id } },
      h("div", { class: "head" }, matcherChips(s.matchers), actions),
      h("div", { class: "body" },
        h("p", {}, when(s), " · ", h("span", { text: s.createdBy }), ": ", h("span", { text: s.comment })))));
  }
}

function when(s) {
  const st = s.status?.state;
  if (st === "pending") return h("span", { title: s.startsAt, text: "starts " + ago(s.startsAt) });
  if (st === "expired") return h("span", { title: s.endsAt, text: "expired " + ago(s.endsAt) });
  return h("span", { title: s.endsAt, text: "ends " + ago(s.endsAt) });
}

async function expire(id) {
  await amApi("silence/" + encodeURIComponent(id), { method: "DELETE" });
}

export async function silenceView(id) {
  const main = page("Silence");
  const s = await amApi("silence/" + encodeURIComponent(id));
  main.append(kvTable([
    ["ID", h("code", { text: s.id })],
    ["State", stateBadge(s.status?.state)],
    ["Matchers", matcherChips(s.matchers)],
    ["Starts", formatTime(Date.parse(s.startsAt))],
    ["Ends", formatTime(Date.parse(s.endsAt))],
    ["Updated", formatTime(Date.parse(s.updatedAt))],
    ["Created by", s.createdBy],
    ["Comment", s.comment],
  ]));
  main.append(h("div", { class: "row" },
    h("a", { href: `#/silences/${s.id}/edit`, text: s.status?.state === "expired" ? "Recreate" : "Edit" }),
    s.status?.state !== "expired" ? h("button", {
      type: "button", text: "Expire",
      onclick: async () => { await expire(s.id); location.hash = "#/silences"; },
    }) : null));
  const q = new URLSearchParams({ active: "true", silenced: "true", inhibited: "true" });
  for (const m of s.matchers || []) q.append("filter", matcherText(m));
  const alerts = (await amApi("alerts?" + q)).filter((a) => (a.status?.silencedBy || []).includes(s.id));
  main.append(h("div", {}, h("h2", { text: `Affected alerts (${alerts.length})` }),
    alerts.length ? alerts.map((a) => h("div", { class: "row" }, labelChips(a.labels)))
      : h("p", { class: "muted", text: "No alerts are muted by this silence." })));
}

function isoOf(ms) {
  return new Date(ms).toISOString();
}

export async function silenceForm(id, query) {
  const main = page(id ? "Edit silence" : "New silence");
  let existing = null;
  if (id) existing = await amApi("silence/" + encodeURIComponent(id));
  const now = Date.now();
  const startMs = existing && existing.status?.state !== "expired" ? Date.parse(existing.startsAt) : now;
  const endMs = existing && existing.status?.state !== "expired" ? Date.parse(existing.endsAt) : now + 2 * 3600e3;
  let author = "";
  try { author = localStorage.getItem("vigil.am.author") || ""; } catch { /* storage refused */ }

  const matchers = h("input", {
    type: "text", class: "mono", id: "s-matchers", required: true,
    value: existing ? matchersText(existing.matchers) : (query.get("filter") || ""),
  });
  const start = h("input", { type: "text", class: "mono", id: "s-start", value: formatTime(startMs) });
  const duration = h("input", { type: "text", class: "mono", id: "s-duration", value: formatDuration(Math.round((endMs - startMs) / 1000)) });
  const end = h("input", { type: "text", class: "mono", id: "s-end", value: formatTime(endMs) });
  const creator = h("input", { type: "text", id: "s-creator", required: true, value: existing?.createdBy || author });
  const comment = h("textarea", { id: "s-comment", rows: 3, required: true });
  comment.value = existing?.comment || "";
  const msg = h("div", { "aria-live": "polite" });
  const preview = h("div", {});

  duration.addEventListener("change", () => {
    const st = parseTime(start.value), d = parseDuration(duration.value);
    if (st !== null && d !== null) end.value = formatTime(st + d * 1000);
  });
  end.addEventListener("change", () => {
    const st = parseTime(start.value), en = parseTime(end.value);
    if (st !== null && en !== null && en > st) duration.value = formatDuration(Math.round((en - st) / 1000));
  });
  start.addEventListener("change", () => duration.dispatchEvent(new Event("change")));

  const read = () => {
    const ms = matchersFromText(matchers.value);
    if (!ms.length) throw new Error("at least one matcher is needed");
    const st = parseTime(start.value), en = parseTime(end.value);
    if (st === null) throw new Error("start: not a time: " + start.value);
    if (en === null) throw new Error("end: not a time: " + end.value);
    return { ms, st, en };
  };
  const showPreview = async () => {
    preview.replaceChildren();
    try {
      const { ms } = read();
      const q = new URLSearchParams({ active: "true", silenced: "true", inhibited: "true" });
      for (const m of ms) q.append("filter", m.text);
      const alerts = await amApi("alerts?" + q);
      preview.append(h("div", {}, h("h2", { text: `Affected alerts (${alerts.length})` }),
        alerts.map((a) => h("div", { class: "row" }, labelChips(a.labels)))));
    } catch (e) {
      preview.append(h("div", { class: "error", role: "alert", text: e.message }));
    }
  };
  const submit = async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    try {
      const { ms, st, en } = read();
      const body = {
        matchers: ms.map(({ name, value, isRegex, isEqual }) => ({ name, value, isRegex, isEqual })),
        startsAt: isoOf(st), endsAt: isoOf(en), createdBy: creator.value.trim(), comment: comment.value.trim(),
      };
      if (existing && existing.status?.state !== "expired") body.id = existing.id;
      try { localStorage.setItem("vigil.am.author", body.createdBy); } catch { /* storage refused */ }
      const res = await amApi("silences", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      location.hash = "#/silences/" + res.silenceID;
    } catch (e) {
      msg.append(h("div", { class: "error", role: "alert", text: e.message }));
    }
  };
  const field = (label, input, hint) => h("label", { for: input.id }, label, input, hint ? h("span", { class: "hint", text: hint }) : null);
  main.append(h("form", { class: "silence", onsubmit: submit },
    field("Matchers", matchers, 'e.g. {alertname="Example", severity=~"crit.*"}'),
    h("div", { class: "times" },
      field("Start", start, "YYYY-MM-DD HH:MM[:SS]"), field("Duration", duration, "e.g. 2h, 1d"), field("End", end)),
    field("Creator", creator),
    field("Comment", comment),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary", text: existing && existing.status?.state !== "expired" ? "Update" : "Create" }),
      h("button", { type: "button", onclick: showPreview, text: "Preview alerts" })),
    msg), preview);
}
