#!/usr/bin/env bash
# Remote-write ingest, whole process: `vigil server` beside Debian's
# Prometheus and VictoriaMetrics in the same run, on the same requests.
#
#   bash bench/remote_write_ingest.sh [series=10000] [hours=2] [connections=4]
#
# The load generator (crates/web/examples/rw_load.rs) writes the requests
# once: `series` series (100 per instance, 5 jobs: counters
# http_requests_total with resets, classic histograms
# http_request_duration_seconds_{bucket,sum,count} with `le` buckets,
# gauges queue_depth/node_load/up) × `hours` ending now, every 15 s with
# ±5 ms of timestamp jitter, split over `connections` shards, one
# snappy-compressed prometheus.WriteRequest (remote write 1.0) per shard and
# step. Each system then starts empty (no scrape configs, so nothing but the
# load reaches it) and receives the same files, one keep-alive connection
# per shard, each in time order (no shard more than 10 steps ahead of the
# slowest). Measured per system:
#   ingest wall time     the load generator's, first request to last answer;
#   ingest CPU seconds   utime+stime of the server (/proc/PID/stat) before
#                        and after the load;
#   peak RSS             VmHWM after the load and 5 s of settling (before
#                        any query);
#   bytes/sample         `du -sb` of the data dir after settling, over the
#                        samples sent. 2 h stay below the 3 h at which the
#                        head is compacted, so for Prometheus and Vigil this
#                        is the head: wal/ + chunks_head/ (+ lock etc.);
#                        VictoriaMetrics gets /internal/force_flush first;
#   query latency        ten dashboard range queries over the last hour of
#                        the data at a 15 s step via /api/v1/query_range,
#                        best of 3 (VictoriaMetrics with -search.disableCache).
# Also checked: errors answered to the load, sum(count_over_time(...[3h]))
# equal to the samples sent, and the series count of each query against
# Prometheus'. Ratios are against Prometheus; the goals are printed beside.
#
# Measured 2026-12-08 02:27 UTC on the shared 2-core development machine
# (release build; Debian's prometheus 2.42.0, victoria-metrics 1.79),
# 10 000 series x 2 h = 4 800 000 samples, 4 connections; load average
# 2-5.6 during the run (other engineers' builds), ratios are the figures
# to read. After the receiver started reading requests in place (no prost
# decode for float series) and appending known series by a reference
# cached under their raw label bytes:
#                          vigil          prometheus    victoriametrics   goal
#   ingest wall s           4.1 (0.11x)   39.2 (1.00x)   8.6 (0.22x)
#   ingest CPU s            4.6 (0.17x)   27.5 (1.00x)   7.6 (0.28x)   <= 0.2x
#   peak RSS MiB             58 (0.39x)    149 (1.00x)   175 (1.18x)   <= 0.25x
#   data-dir bytes/sample 14.18 (1.01x)  14.01 (1.00x)  1.54 (0.11x)
#   10 queries ms (sum)    1514 (0.54x)   2827 (1.00x)  1041 (0.37x)   <= 0.25x
#   errors / counted      0 / 4800000 in all three
# Per query, best of 3 in ms (x Prometheus), vigil / prometheus / VM:
#   sum by (job) (rate(...[5m]))               127 (0.80x)   158  132 (0.83x)
#   histogram_quantile(0.99, sum by (job, le)) 107 (0.63x)   170  126 (0.74x)
#   topk(5, sum by (instance) (rate))          230 (1.30x)   177   95 (0.54x)
#   rate{code=~"5..", method=~"GET|POST"}       36 (0.33x)   109   42 (0.39x)
#   avg by (job) (avg_over_time(queue_depth))  378 (0.45x)   833  250 (0.30x)
#   max_over_time(sum(rate[1m]))[30m:1m]        93 (0.51x)   180   68 (0.38x)
#   rate(_sum) / rate(_count)                   27 (0.36x)    75   26 (0.35x)
#   count by (job) (queue_depth > 50)          404 (0.43x)   939  229 (0.24x)
#   sum by (code) (increase(...[1h]))           64 (0.54x)   118   28 (0.23x)
#   count by (__name__) ({__name__=~"http_.*"}) 48 (0.71x)    68   46 (0.67x)
# Ingest CPU goal met (was 0.76x on 2026-12-07). Not met: peak RSS 0.39x
# (not attributed yet: an in-process replay into a bare Db peaks at 111
# MB of which 88 MB are the loaded request files, so the head itself is
# about 20-25 MB of the server's 58 MiB) and query time 0.54x (the PromQL
# engine's). In-process replay of the recorded requests
# (decompress, decode, append, commit; perf, cpu-clock): 32.8 -> 6.0 CPU
# s; what is left splits about 45% receiver (request walk, cache lookup),
# 35% TSDB append (SeriesState::append, chunk bit writing, touch/apply),
# 6% snappy.
# Previous run, 2026-12-07 (load average 5-9): CPU 24.0 s (0.76x), RSS 64
# MiB (0.39x), queries 2272 ms (0.45x), wall 31.9 s (0.79x).
#
# NO_BUILD=1 skips the cargo builds (binaries already in target/release).
set -euo pipefail

series=${1:-10000}
hours=${2:-2}
conns=${3:-4}

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
prom_bin=/usr/bin/prometheus
vm_bin=/usr/bin/victoria-metrics
for b in "$prom_bin" "$vm_bin"; do
    [ -x "$b" ] || { echo "missing $b (apt-get install prometheus victoria-metrics)" >&2; exit 1; }
done

[ -n "${NO_BUILD:-}" ] || (cd "$root" && cargo build --release -q -p vigil && cargo build --release -q -p vigil-web --example rw_load)
vigil=$target/release/vigil
load=$target/release/examples/rw_load

tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
tck=$(getconf CLK_TCK)

end_ms=$(( $(date +%s) * 1000 ))
mkdir -p "$tmp/req"
gen=$("$load" gen "$tmp/req" "$end_ms" "$series" "$hours" "$conns")
echo "generated: $gen" >&2
samples=$(sed -n 's/.* samples=\([0-9]*\).*/\1/p' <<<"$gen")

printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$tmp/prometheus.yml"

queries=(
  'sum by (job) (rate(http_requests_total[5m]))'
  'histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))'
  'topk(5, sum by (instance) (rate(http_requests_total[5m])))'
  'sum by (instance) (rate(http_requests_total{code=~"5..", method=~"GET|POST"}[5m]))'
  'avg by (job) (avg_over_time(queue_depth[10m]))'
  'max_over_time(sum by (job) (rate(http_requests_total[1m]))[30m:1m])'
  'sum by (job) (rate(http_request_duration_seconds_sum[5m])) / sum by (job) (rate(http_request_duration_seconds_count[5m]))'
  'count by (job) (queue_depth > 50)'
  'sum by (code) (increase(http_requests_total{job="api"}[1h]))'
  'count by (__name__) ({__name__=~"http_.*", job="db"})'
)

# wait_ready PORT PATH
wait_ready() {
    for _ in $(seq 1 600); do
        curl -sf "http://127.0.0.1:$1$2" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server on port $1 did not become ready" >&2; return 1
}

# run NAME READY_PATH WRITE_PATH COMMAND... (the command's flags name $port
# and $data through the placeholders PORT and DATA). Appends one line to
# $tmp/results: name wall cpu hwm_kb bytes counted errors.
run() {
    local name=$1 ready=$2 wpath=$3; shift 3
    local port; port=$(free_port)
    local data=$tmp/data-$name
    mkdir -p "$data"
    local args=()
    for a in "$@"; do a=${a//PORT/$port}; args+=("${a//DATA/$data}"); done
    "${args[@]}" >"$tmp/$name.log" 2>&1 &
    pid=$!
    wait_ready "$port" "$ready"
    local c0; c0=$(cpu_ticks "$pid")
    local out; out=$("$load" send "$tmp/req" "http://127.0.0.1:$port$wpath" 10 2>"$tmp/$name.load.err") || true
    echo "$name: $out" >&2
    [ -s "$tmp/$name.load.err" ] && { echo "$name: load errors:" >&2; head -5 "$tmp/$name.load.err" >&2; }
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "$name exited during the load; its log:" >&2; tail -20 "$tmp/$name.log" >&2; exit 1
    fi
    local c1; c1=$(cpu_ticks "$pid")
    [ "$name" = victoriametrics ] && curl -sf "http://127.0.0.1:$port/internal/force_flush" >/dev/null || true
    sleep 5
    local hwm; hwm=$(hwm_kb "$pid")
    local bytes; bytes=$(du -sb "$data" | cut -f1)
    echo "$name: data dir after settling:" >&2
    (cd "$data" && du -sb -- * 2>/dev/null | sed 's/^/    /' >&2) || true
    local wall; wall=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
    local errors; errors=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$out")
    python3 - "$port" "$name" "$end_ms" "$tmp/queries-$name.tsv" "${queries[@]}" >"$tmp/$name.check" 2>"$tmp/$name.qerr" <<'PY'
import json, sys, time, urllib.error, urllib.parse, urllib.request
port, name, end_ms, out, queries = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
base = f"http://127.0.0.1:{port}"
end = end_ms / 1000
def get(path, **params):
    # An error answer is reported (stderr) and counted as -1 result series.
    try:
        body = urllib.request.urlopen(base + path + "?" + urllib.parse.urlencode(params), timeout=600).read()
    except urllib.error.HTTPError as e:
        print(f"{name}: {path} {params['query']}: HTTP {e.code}: {e.read()[:300]!r}", file=sys.stderr)
        return None
    r = json.loads(body)
    if r.get("status") != "success":
        print(f"{name}: {path} {params['query']}: {r}", file=sys.stderr)
        return None
    return r["data"]["result"]
# Every sample sent must be there.
# (Per metric name: count_over_time drops the name, so one selector over
# every name would yield duplicate label sets.)
total = 0
for metric in ["http_requests_total", "http_request_duration_seconds_bucket", "up", "node_load",
               "http_request_duration_seconds_sum", "http_request_duration_seconds_count", "queue_depth"]:
    r = get("/api/v1/query", query=f"sum(count_over_time({metric}[4h]))", time=end + 1)
    if r is None:
        total = -1
        break
    total += int(float(r[0]["value"][1])) if r else 0
print(total)
with open(out, "w") as f:
    for q in queries:
        best, n = float("inf"), 0
        for _ in range(3):
            t0 = time.monotonic()
            res = get("/api/v1/query_range", query=q, start=end - 3600, end=end, step=15)
            best = min(best, (time.monotonic() - t0) * 1000)
            n = -1 if res is None else len(res)
        f.write(f"{best:.1f}\t{n}\t{q}\n")
PY
    [ -s "$tmp/$name.qerr" ] && { echo "$name: query errors:" >&2; sed 's/^/    /' "$tmp/$name.qerr" >&2; }
    local counted; counted=$(cat "$tmp/$name.check")
    echo "$name: samples counted by count_over_time: $counted of $samples" >&2
    if [ "$name" != victoriametrics ]; then
        local appended
        appended=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^prometheus_tsdb_head_samples_appended_total/ {s += $2} END {printf "%d", s}')
        echo "$name: prometheus_tsdb_head_samples_appended_total: $appended" >&2
    fi
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    echo "$name $wall $(( c1 - c0 )) $hwm $bytes $counted ${errors:-?}" >> "$tmp/results"
}

run vigil /-/ready /api/v1/write "$vigil" server --config.file="$tmp/prometheus.yml" \
    --storage.tsdb.path=DATA --web.listen-address=127.0.0.1:PORT --web.enable-remote-write-receiver
run prometheus /-/ready /api/v1/write "$prom_bin" --config.file="$tmp/prometheus.yml" \
    --storage.tsdb.path=DATA --web.listen-address=127.0.0.1:PORT --web.enable-remote-write-receiver
run victoriametrics /health /api/v1/write "$vm_bin" -storageDataPath=DATA \
    -httpListenAddr=127.0.0.1:PORT -retentionPeriod=1y -search.disableCache

python3 - "$tmp/results" "$tck" "$samples" "$tmp" <<'PY'
import sys
results, tck, samples, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = {}
for line in open(results):
    name, wall, ticks, hwm, nbytes, counted, errors = line.split()
    rows[name] = dict(wall=float(wall), cpu=int(ticks) / tck, hwm=int(hwm) / 1024,
                      bps=int(nbytes) / samples, counted=int(counted), errors=errors)
q = {}
for name in rows:
    q[name] = [l.rstrip("\n").split("\t", 2) for l in open(f"{tmp}/queries-{name}.tsv")]
    rows[name]["qsum"] = sum(float(ms) for ms, _, _ in q[name])
p = rows["prometheus"]
goals = dict(cpu="<= 0.2x", hwm="<= 0.25x", qsum="<= 0.25x", wall="", bps="")
print(f"\n{samples} samples sent")
print(f"{'':22}" + "".join(f"{n:>17}" for n in rows) + "   goal (vigil)")
for key, label, fmt in [("wall", "ingest wall s", "{:.1f}"), ("cpu", "ingest CPU s", "{:.1f}"),
                        ("hwm", "peak RSS MiB", "{:.0f}"), ("bps", "data-dir bytes/sample", "{:.2f}"),
                        ("qsum", "10 queries ms (sum)", "{:.0f}")]:
    cells = "".join(f"{fmt.format(r[key]) + f' ({r[key] / p[key]:.2f}x)':>17}" for r in rows.values())
    print(f"{label:22}{cells}   {goals[key]}")
print(f"{'errors / counted':22}" + "".join(f"{r['errors'] + ' / ' + str(r['counted']):>17}" for r in rows.values()))
print(f"\n{'query (best of 3, ms)':60}" + "".join(f"{n:>16}" for n in rows))
for i, (_, pn, text) in enumerate(q["prometheus"]):
    cells = ""
    for name in rows:
        ms, n, _ = q[name][i]
        mark = "" if n == pn else f"[{n}s]"
        cells += f"{float(ms):8.1f} {float(ms) / float(q['prometheus'][i][0]):5.2f}x{mark:>1}"
    print(f"{text[:60]:60}{cells}")
print("(a [Ns] mark: N result series where Prometheus returned a different number)")
PY
