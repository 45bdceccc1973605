// Entry point: picks the page from the last path segment (every page sits
// one level under the route prefix) and renders it.

import { h, page, localTime, setLocalTime } from "./util.js";
import * as query from "./query.js";
import * as pages from "./pages.js";

const ROUTES = {
  query: query.render,
  alerts: pages.alerts,
  rules: pages.rules,
  targets: pages.targets,
  "service-discovery": pages.serviceDiscovery,
  status: pages.status,
  flags: pages.flags,
  config: pages.config,
  "tsdb-status": pages.tsdbStatus,
};

function start() {
  const name = location.pathname.split("/").pop() || "query";
  for (const a of document.querySelectorAll(".top nav a")) {
    if (a.getAttribute("href") === name) a.setAttribute("aria-current", "page");
  }
  const toggle = h("input", { type: "checkbox", id: "local-time" });
  toggle.checked = localTime;
  toggle.addEventListener("change", () => {
    setLocalTime(toggle.checked);
    location.reload();
  });
  document.querySelector(".top")?.append(
    h("label", { class: "setting", for: "local-time" }, toggle, " Local time"));
  const render = ROUTES[name] || query.render;
  Promise.resolve()
    .then(render)
    .catch((e) => {
      page("Error").append(h("div", { class: "error", role: "alert", text: String(e.message || e) }));
    });
}

start();
