#!/usr/bin/env bash
# UI speed: the Query page's first paint and the Graph tab drawing 100
# series x 1,000 points, in Debian's headless Chromium against `vigil
# server` on loopback (crates/vigil/tests/ui_bench.rs, an ignored test so the
# normal test run stays free of timings). Goals from the UI issue: first
# paint under 200 ms, the graph drawn under 100 ms. The server is a debug
# build: it only serves the embedded static assets here, so the figures are
# the browser's. Compare against the goals loosely: the machine is shared.
#
#   bash bench/ui_paint.sh
#
# Measured 2026-12-07 (load average 9 on the 2 cores: other builds running):
#   first paint (= first contentful paint)  best  92 ms, median 200 ms
#   100 series x 1,000 points set + drawn    best  44 ms, median  77 ms
# The best loads meet both goals; the medians sit at the paint goal while
# the machine is this busy.
# Re-measured 2026-12-08 on a quiet machine (load 0.9), after syntax
# highlighting (one more module) was added:
#   first paint (= first contentful paint)  best  64 ms, median 108 ms
#   100 series x 1,000 points set + drawn    best  42 ms, median  47 ms
# Both goals met at the median. The shell paints its header before any script
# runs (modules are deferred and preloaded in parallel).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q -p vigil --test ui_bench -- --ignored --nocapture 2>&1 \
  | grep -v '^screenshot:'
