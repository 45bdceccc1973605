#!/usr/bin/env bash
# Pushgateway throughput and memory: `vigil pushgateway` beside Debian's
# prometheus-pushgateway in the same run.
#
#   bash bench/pushgateway_bench.sh [groups=1000] [series=100] [clients=8] [rounds=2]
#
# Each gateway starts empty (consistency check on, persistence to a temp
# file with the default 5m interval), then the load generator
# (crates/pushgateway/examples/push_load.rs) PUTs `groups` groups of
# `series` series `rounds` times from `clients` keep-alive connections.
# Printed per gateway: pushes/s and resident memory (VmRSS) after the load,
# holding groups x series series; then the ratios Vigil/Debian for
# throughput and memory. The goal: >= 3x the pushes/s at <= 0.5x the memory.
#
# Measured 2026-11-25 on the shared 2-core development machine (release
# build, Debian's pushgateway 1.5.1):
#   1000 x 100, 8 clients, 2 rounds: vigil 2298 pushes/s, 20.2 MiB;
#     debian 3.1 pushes/s, 141.2 MiB -> 741x throughput, 0.14x memory
#     (an earlier run: 1944 vs 4.7 pushes/s, 19.7 vs 137.7 MiB: 413x, 0.14x).
#   100 x 100: vigil 2054 pushes/s, 7.6 MiB; debian 61.5 pushes/s, 29.6 MiB
#     -> 33x, 0.26x.
# Upstream's check re-gathers every stored group on each push, so its rate
# falls with the number of groups; Vigil's incremental check does not.
set -euo pipefail

groups=${1:-1000}
series=${2:-100}
clients=${3:-8}
rounds=${4:-2}

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
debian=/usr/bin/prometheus-pushgateway
[ -x "$debian" ] || { echo "missing $debian (apt-get install prometheus-pushgateway)" >&2; exit 1; }

(cd "$root" && cargo build --release -q -p vigil && cargo build --release -q -p vigil-pushgateway --example push_load)
vigil=$target/release/vigil
load=$target/release/examples/push_load

tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
    for _ in $(seq 1 200); do
        curl -sf "http://127.0.0.1:$1/-/ready" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "gateway on port $1 did not start" >&2; exit 1
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# run NAME COMMAND... : starts the gateway, loads it, prints "rate rss_kb".
run() {
    local name=$1; shift
    local port; port=$(free_port)
    "$@" --web.listen-address="127.0.0.1:$port" --persistence.file="$tmp/$name.data" >"$tmp/$name.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_ready "$port"
    local out; out=$("$load" "127.0.0.1:$port" "$groups" "$series" "$clients" "$rounds")
    echo "$name: $out" >&2
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "$name exited during the load (killed by someone else?); its log:" >&2
        tail -20 "$tmp/$name.log" >&2
        exit 1
    fi
    local rate; rate=$(sed -n 's/.*pushes_per_second=\([0-9.]*\).*/\1/p' <<<"$out")
    # Let the Go runtime settle (GC) before reading memory, as a scrape would later.
    sleep 2
    local samples; samples=$(curl -s "http://127.0.0.1:$port/metrics" | grep -c '^bench_' || true)
    echo "$name: bench samples on /metrics: $samples" >&2
    local rss; rss=$(rss_kb "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$rate $rss"
}

echo "groups=$groups series=$series clients=$clients rounds=$rounds ($((groups * series)) series held)"
read -r v_rate v_rss < <(run vigil "$vigil" pushgateway)
read -r d_rate d_rss < <(run debian "$debian")
awk -v vr="$v_rate" -v vm="$v_rss" -v dr="$d_rate" -v dm="$d_rss" 'BEGIN {
    printf "%-8s %12s %12s\n", "gateway", "pushes/s", "rss_MiB"
    printf "%-8s %12.1f %12.1f\n", "vigil", vr, vm / 1024
    printf "%-8s %12.1f %12.1f\n", "debian", dr, dm / 1024
    printf "throughput ratio (vigil/debian): %.2fx   memory ratio (vigil/debian): %.2fx\n", vr / dr, vm / dm
}'
