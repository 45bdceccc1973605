#!/usr/bin/env bash
# WAL replay time: Vigil's head writes a WAL (and chunks_head/) for N series
# with K samples each; then Vigil and Debian's Prometheus each open that
# same data directory, one after the other in one run. Vigil's time is its
# own `Head::open`; Prometheus' is the `total_replay_duration` it logs.
# Prints both and Vigil's ratio. Compare ratios, not absolute times.
#
#   bash bench/tsdb_replay.sh [series] [samples-per-series]
#
# Measured 2026-12-07, 1 000 000 series x 10 samples (64 MiB of WAL), on the
# 2-core machine while other engineers compiled (load average 7-12, so
# both replays ran far slower than on an idle machine): Vigil 15.65 s,
# Prometheus 2.42 82.3 s, x0.19 (goal: at most x0.2). Two more same-run
# pairs with `head_memory --open` on one directory the same evening gave
# x0.26 (9.0 s vs 35.2 s, load 5) and x0.27 (23.5 s vs 87.6 s, load 10):
# under this much noise the goal holds only at the edge. Before the
# pipelined replay (long-lived shard workers fed while the next batch is
# decoded, a postings thread, mapped segments): x0.55.
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-1000000}
samples=${2:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n "${prom:-}" ]] && kill "$prom" 2>/dev/null || true' EXIT

cargo build --release -q -p vigil-tsdb --example head_memory
bin="${CARGO_TARGET_DIR:-target}/release/examples/head_memory"

# Write the directory, then time Vigil's replay of it.
out=$("$bin" "$series" --samples="$samples" --replay --dir="$work/data")
echo "$out"
vigil=$(echo "$out" | sed -n 's/.* in \([0-9.]*\)\(m\?s\)$/\1 \2/p' | awk '{ print ($2 == "ms") ? $1 / 1000 : $1 }')

# Prometheus on a copy (it rewrites the WAL tail when it starts).
cp -a "$work/data" "$work/prom"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1h\n' > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
    --web.listen-address="127.0.0.1:$port" 2> "$work/prom.log" &
prom=$!
for _ in $(seq 1 600); do
    grep -q "total_replay_duration" "$work/prom.log" && break
    sleep 0.5
done
kill "$prom"; wait "$prom" 2>/dev/null || true; prom=
line=$(grep "total_replay_duration" "$work/prom.log" || true)
[[ -n "$line" ]] || { echo "prometheus did not finish replay"; tail "$work/prom.log"; exit 1; }
# Go durations: 1.2s, 850ms, 1m3.5s.
prometheus_s=$(echo "$line" | sed 's/.*total_replay_duration=\([^ ]*\).*/\1/' | python3 -c '
import re, sys
d = sys.stdin.read().strip()
units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
print(sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(h|ms|us|µs|ns|m|s)", d)))')
echo "replay of $series series x $samples samples: vigil ${vigil}s, prometheus ${prometheus_s}s"
python3 -c "print(f'vigil/prometheus replay time: x{$vigil/$prometheus_s:.2f}')"
