//! UI speed figures, run by `bench/ui_paint.sh` (ignored in the normal test
//! run: speed lives in benchmarks, not in tests). In headless Chromium
//! against `vigil server` on loopback it prints:
//! - the Query page's first paint and first contentful paint, from the
//!   browser's own Paint Timing entries (navigation start to paint), the
//!   best and the median of several fresh loads;
//! - the time the Graph tab's chart takes to take and draw 100 series ×
//!   1,000 points (`Chart.setData`, which builds the arrays, the legend and
//!   draws the canvas), timed inside the page with `performance.now()`.

mod browser_support;

use std::process::{Command, Stdio};

use browser_support::{Browser, Proc, free_port, have_browser, http, wait_for};
use serde_json::Value;

const LOADS: usize = 9;
const DRAWS: usize = 9;

/// Builds a 100 × 1,000 matrix in the page, then times `Chart.setData` on a
/// chart in the document; resolves to the sorted durations in ms.
const DRAW_SCRIPT: &str = r#"
// Assets live under a content-hashed directory: import beside app.js.
const app = document.querySelector('script[src$="app.js"]').src;
const { Chart } = await import(app.replace(/app\.js$/, "graph.js"));
const start = 1700000000, step = 15, n = 1000, series = 100;
const result = [];
for (let i = 0; i < series; i++) {
  const values = [];
  for (let k = 0; k < n; k++) {
    values.push([start + k * step, String(Math.sin(k / 50 + i) * 100 + i * 10)]);
  }
  result.push({ metric: { __name__: "bench", instance: "host-" + i, job: "bench" }, values });
}
const times = [];
for (let r = 0; r < DRAWS; r++) {
  const chart = new Chart();
  document.body.appendChild(chart.el);
  const t0 = performance.now();
  chart.setData(result, start, start + (n - 1) * step, step);
  times.push(performance.now() - t0);
  chart.el.remove();
}
return times.sort((a, b) => a - b);
"#;

fn ms(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn median(sorted: &[f64]) -> f64 {
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

#[test]
#[ignore = "a benchmark: run by bench/ui_paint.sh"]
fn query_page_paint_and_graph_draw() {
    if !have_browser("query_page_paint_and_graph_draw") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(dir.path())
        .args([
            "server".to_string(),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vigil server");
    let _server = Proc(child);
    assert!(
        wait_for(60, || matches!(
            http(port, "GET", "/-/ready", None),
            Ok((200, _))
        )),
        "vigil server did not become ready"
    );

    let b = Browser::start();
    let url = format!("http://127.0.0.1:{port}/query");
    // One load first so the browser's own start-up is not measured.
    b.goto(&url);
    let (mut fp, mut fcp) = (Vec::new(), Vec::new());
    for _ in 0..LOADS {
        b.goto(&format!("{url}?fresh={}", fp.len()));
        b.find("textarea");
        let v = b.js(
            "const e = {}; for (const p of performance.getEntriesByType('paint')) e[p.name] = p.startTime; return e;",
        );
        fp.push(ms(&v["first-paint"]));
        fcp.push(ms(&v["first-contentful-paint"]));
    }
    fp.sort_by(f64::total_cmp);
    fcp.sort_by(f64::total_cmp);

    b.goto(&url);
    b.find("textarea");
    let script = DRAW_SCRIPT.replace("DRAWS", &DRAWS.to_string());
    let draws: Vec<f64> = b
        .js_async(&script)
        .as_array()
        .map(|a| a.iter().map(ms).collect())
        .unwrap_or_default();
    assert_eq!(draws.len(), DRAWS, "draw script gave {draws:?}");

    println!("Query page, {LOADS} fresh loads on loopback (goal: first paint < 200 ms):");
    println!(
        "  first paint            best {:7.1} ms  median {:7.1} ms",
        fp[0],
        median(&fp)
    );
    println!(
        "  first contentful paint best {:7.1} ms  median {:7.1} ms",
        fcp[0],
        median(&fcp)
    );
    println!("Graph of 100 series x 1,000 points, {DRAWS} draws (goal: < 100 ms):");
    println!(
        "  Chart.setData + draw   best {:7.1} ms  median {:7.1} ms",
        draws[0],
        median(&draws)
    );
    b.assert_no_console_errors();
}
