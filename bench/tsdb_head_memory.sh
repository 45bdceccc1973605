#!/usr/bin/env bash
# Resident memory per active head series, whole process, at scale. For each
# series count N: Vigil's head (example head_memory) appends N series x 3
# samples with its WAL on and prints its whole-process RSS; then Vigil and
# Debian's Prometheus each open that same data directory (WAL replay) and
# the RSS of each process with the head loaded is read, one after the
# other in one run. Prometheus runs only up to --prom-max series (it needs
# about 2 GiB per million; keep it within the machine's memory).
#
#   bash bench/tsdb_head_memory.sh [N...] [--prom-max=N]   (default: 1000000 5000000, 1000000)
#
# Measured 2026-12-07 (six labels, 109 bytes packed, per series; 3 samples
# each; WAL on):
#   1 000 000 series: Vigil 445 MiB process RSS, 467 bytes per series (the
#     same after reopening); Prometheus 2.42 with the same directory
#     replayed 1349 MiB, 1414 bytes per series: x0.33 (goal: at most x0.25,
#     not met at this scale).
#   5 000 000 series: Vigil 2158 MiB process RSS, 453 bytes per series:
#     under the 4 GiB goal. (Prometheus not run: about 7 GiB.)
set -euo pipefail
cd "$(dirname "$0")/.."
counts=()
prom_max=1000000
for a in "$@"; do
    case "$a" in
        --prom-max=*) prom_max=${a#--prom-max=} ;;
        *) counts+=("$a") ;;
    esac
done
[[ ${#counts[@]} -gt 0 ]] || counts=(1000000 5000000)
work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n "${prom:-}" ]] && kill "$prom" 2>/dev/null || true' EXIT

cargo build --release -q -p vigil-tsdb --example head_memory
bin="${CARGO_TARGET_DIR:-target}/release/examples/head_memory"

for n in "${counts[@]}"; do
    rm -rf "$work/data" "$work/prom"
    echo "== $n series x 3 samples"
    "$bin" "$n" --samples=3 --dir="$work/data" | sed 's/^/vigil append: /'
    "$bin" --open="$work/data" | sed 's/^/vigil open:   /'
    if (( n > prom_max )); then
        echo "prometheus:   skipped (more than --prom-max=$prom_max series)"
        continue
    fi
    cp -a "$work/data" "$work/prom"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'global:\n  scrape_interval: 1h\n' > "$work/prometheus.yml"
    prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
        --web.listen-address="127.0.0.1:$port" 2> "$work/prom.log" &
    prom=$!
    for _ in $(seq 1 1200); do
        grep -q "Server is ready" "$work/prom.log" && break
        sleep 0.5
    done
    # Let the replay's garbage be collected, as a running server would.
    sleep 10
    rss_kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$prom/status")
    kill "$prom"; wait "$prom" 2>/dev/null || true; prom=
    python3 -c "print(f'prometheus open: process RSS {$rss_kib/1024:.1f} MiB, {$rss_kib*1024/$n:.0f} bytes per series')"
done
