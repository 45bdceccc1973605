#!/usr/bin/env bash
# Dashboard queries, Vigil beside Debian's Prometheus on the same data: one
# block of 10 000 series × 1 day at 15 s (written once by Vigil's block
# writer; both open a copy of the same directory). Each query runs as a
# range query over the last 6 h at a 60 s step, three times; the best
# latency and the peak RSS during the query (kernel high-water mark, reset
# before each query through /proc/PID/clear_refs) are compared.
#
# Two ways, both sides alike:
# - "one process": one Vigil process and one Prometheus run all queries
#   in turn (what a long-running server sees; the block pages an earlier
#   query mapped stay resident and count in later queries' peaks);
# - "fresh process": a new Vigil process and a restarted Prometheus per
#   query (what the query itself costs on top of an opened database).
#
# Vigil's figures are the engine in-process (no HTTP, no JSON); Prometheus'
# are its /api/v1/query_range over loopback, JSON included. Compare ratios,
# not absolute times: the machine is shared. Vigil uses both cores (two
# decode threads, and two threads for avg/sum_over_time batches).
#
#   bash bench/promql_queries.sh
#
# Measured 2026-12-07 23:16 UTC after streaming (release build, Debian's
# prometheus 2.42; the shared 2-core machine was 4-5 times oversubscribed by
# other builds, load average 8-9, which slows a two-thread Vigil more than a
# mostly one-thread Prometheus, so read the ratios as upper bounds):
#   one process, queries in turn      vigil ms  prom ms  x time  MiB v/p  x mem
#   sum by (job) (rate(...[5m]))         488.2   2087.8    0.23  89/189   0.47
#   histogram_quantile(0.9, sum by (le)  838.4   2493.5    0.34 175/299   0.58
#   topk(5, rate(...[5m]))               578.1   1606.6    0.36 174/310   0.56
#   sum by (instance) (rate({code=~..})   86.7    358.7    0.24 175/329   0.53
#   avg_over_time(node_load[1h])         653.9   1739.1    0.38 234/386   0.61
#   max_over_time(sum(rate(..[1m]))[..]) 744.5   2327.4    0.32 230/363   0.63
#   a fresh process per query
#   sum by (job) (rate(...[5m]))         679.8   1790.7    0.38  89/182   0.49
#   histogram_quantile(0.9, sum by (le)  814.2   1951.0    0.42  98/214   0.46
#   topk(5, rate(...[5m]))               925.8   1785.0    0.52  89/208   0.43
#   sum by (instance) (rate({code=~..})   82.5    301.0    0.27  27/86    0.31
#   avg_over_time(node_load[1h])         586.7   2055.0    0.29  72/193   0.37
#   max_over_time(sum(rate(..[1m]))[..]) 728.2   1729.7    0.42  89/188   0.47
# Memory: met (<= 0.5x) per query in a fresh process; in one process the
# block's mapped pages accumulate (Vigil's heap stays ~5 MiB between
# queries, `QUERY_BENCH_RSS=1` shows it: the rest is mmapped chunk pages
# earlier queries touched, which only the TSDB could release). Time: not
# met on this loaded machine (0.23-0.52x); about 60 % of Vigil's CPU per
# query is XOR chunk decoding in vigil-tsdb (~45 ns a sample), the rest
# the engine.
#
# Measured 2026-12-07 before streaming (one process; Debian's 2.42):
#   query                                    vigil ms  prom ms  x time  x mem
#   sum by (job) (rate(...[5m]))                510.6   1160.3    0.44   1.23
#   histogram_quantile(0.9, sum by (le) ...)    694.8   1093.5    0.64   1.20
#   topk(5, rate(...[5m]))                      561.7    952.5    0.59   1.14
#   sum by (instance) (rate({code=~"5.."...)     34.5    105.7    0.33   1.08
#   avg_over_time(node_load[1h])                258.0   1122.4    0.23   0.94
#   max_over_time(sum(rate(...[1m]))[30m:1m])   322.8   1301.7    0.25   1.02
#
# topk: Vigil returns fewer series than Debian's Prometheus (1139 vs 1155)
# because 2.42 is not 3.x here, not because of a Vigil bug. Checked with
# `query_bench dump`: with the window shifted 7 ms off the samples, every
# rate value is bit-equal to Prometheus', and 2.42's picks are reproduced
# exactly by its pop-then-push heap fed its own rates; 3.x (and Vigil)
# overwrite the heap's smallest and sift down, which breaks ties between
# equal rates differently (test `topk_ties_follow_prometheus_3`). At the
# bench's own times 2.42's closed-left range windows also change the rates
# of windows that start exactly on a sample.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p vigil-promql --example query_bench
bin="${CARGO_TARGET_DIR:-target}/release/examples/query_bench"
end=$(( ($(date +%s) / 60) * 60000 ))
mkdir -p "$work/data"
"$bin" gen "$work/data" "$end"
cp -a "$work/data" "$work/vigil"

queries=(
  'sum by (job) (rate(http_requests_total[5m]))'
  'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'
  'topk(5, rate(http_requests_total[5m]))'
  'sum by (instance) (rate(http_requests_total{code=~"5..", method=~"GET|POST"}[5m]))'
  'avg_over_time(node_load[1h])'
  'max_over_time(sum(rate(http_requests_total[1m]))[30m:1m])'
)

"$bin" run "$work/vigil" "$end" "${queries[@]}" > "$work/vigil.tsv"
for q in "${queries[@]}"; do
  "$bin" run "$work/vigil" "$end" "$q"
done > "$work/vigil_fresh.tsv"

printf 'global:\n  scrape_interval: 1h\n' > "$work/prometheus.yml"
python3 - "$work" "$end" "${queries[@]}" <<'PY'
import json, socket, subprocess, sys, time, urllib.parse, urllib.request

work, end, queries = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
start = end - 6 * 3600 * 1000


def launch():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    log = open(f"{work}/prom.log", "a")
    p = subprocess.Popen(
        ["prometheus", f"--config.file={work}/prometheus.yml",
         f"--storage.tsdb.path={work}/data", "--storage.tsdb.retention.time=10y",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if urllib.request.urlopen(base + "/-/ready", timeout=2).status == 200:
                return p, base
        except Exception:
            time.sleep(0.2)
    p.kill()
    sys.exit("prometheus not ready")


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def hwm(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def measure(p, base, q):
    best, peak, n = float("inf"), 0, 0
    for _ in range(3):
        open(f"/proc/{p.pid}/clear_refs", "w").write("5")
        args = urllib.parse.urlencode({"query": q, "start": start / 1000, "end": end / 1000, "step": "60"})
        t0 = time.monotonic()
        body = urllib.request.urlopen(base + "/api/v1/query_range?" + args, timeout=300).read()
        best = min(best, (time.monotonic() - t0) * 1000)
        peak = max(peak, hwm(p.pid))
        r = json.loads(body)
        if r["status"] != "success":
            sys.exit(f"{q}: {r}")
        n = len(r["data"]["result"])
    return best, peak, n


def vigil(path):
    out = {}
    for line in open(path):
        ms, kib, n, q = line.rstrip("\n").split("\t", 3)
        out[q] = (float(ms), int(kib), int(n))
    return out


def table(title, vig, prom):
    print(title)
    print(f"{'query':72} {'vigil ms':>9} {'prom ms':>9} {'x time':>7} {'vigil MiB':>10} {'prom MiB':>9} {'x mem':>6}")
    for q in queries:
        (vms, vkib, vn), (pms, pkib, pn) = vig[q], prom[q]
        if vn != pn:
            print(f"  note: {q}: vigil returned {vn} series, prometheus {pn}")
        print(f"{q[:72]:72} {vms:9.1f} {pms:9.1f} {vms/pms:7.2f} {vkib/1024:10.1f} {pkib/1024:9.1f} {vkib/pkib:6.2f}")


p, base = launch()
try:
    shared = {q: measure(p, base, q) for q in queries}
finally:
    stop(p)
fresh = {}
for q in queries:
    p, base = launch()
    try:
        fresh[q] = measure(p, base, q)
    finally:
        stop(p)
table("one process, queries in turn:", vigil(f"{work}/vigil.tsv"), shared)
table("a fresh process per query:", vigil(f"{work}/vigil_fresh.tsv"), fresh)
PY
