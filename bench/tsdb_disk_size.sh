#!/usr/bin/env bash
# Bytes per sample on disk: the same OpenMetrics input turned into blocks by
# Debian's `promtool tsdb create-blocks-from openmetrics` and by
# `vigil tool tsdb create-blocks-from openmetrics`. Prints chunk, index and
# total bytes per sample of each, and Vigil's ratio against promtool.
#
#   bash bench/tsdb_disk_size.sh [series] [hours]
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-2000}
hours=${2:-6}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p vigil
vigil="${CARGO_TARGET_DIR:-target}/release/vigil"

python3 - "$series" "$hours" "$work" "$vigil" <<'PY'
import os, random, subprocess, sys

series, hours, work, vigil = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
random.seed(7)
start = 1_700_000_000
path = os.path.join(work, "in.om")
samples = 0
# Counters, gauges and a few constant series, scraped every 15 s with
# realistic jitter: the mix a node exporter produces.
with open(path, "w") as f:
    f.write("# TYPE m counter\n# TYPE g gauge\n")
    rows = []
    for s in range(series):
        kind = s % 10
        v = 0.0
        t = start * 1000
        for i in range(hours * 240):
            t += 15000 + random.randint(-3, 3)
            if kind < 6:
                v += random.randint(0, 50)
                name = "m_total"
            elif kind < 9:
                v = round(random.uniform(0, 100), 2)
                name = "g"
            else:
                v = 1.0
                name = "g"
            rows.append((name, s, t, v))
            samples += 1
    for name, s, t, v in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        f.write(f'{name}{{instance="host-{s % 97}",s="{s}"}} {v!r} {t // 1000}.{t % 1000:03d}\n')
    f.write("# EOF\n")

def run(name, cmd, out):
    subprocess.run(cmd + [path, out], check=True, stdout=subprocess.DEVNULL)
    sizes = {"chunks": 0, "index": 0, "total": 0}
    for root, _, files in os.walk(out):
        for fn in files:
            n = os.path.getsize(os.path.join(root, fn))
            sizes["total"] += n
            if os.path.basename(root) == "chunks":
                sizes["chunks"] += n
            elif fn == "index":
                sizes["index"] += n
    return name, sizes

p = run("promtool", ["promtool", "tsdb", "create-blocks-from", "openmetrics"], os.path.join(work, "p"))
v = run("vigil", [vigil, "tool", "tsdb", "create-blocks-from", "openmetrics"], os.path.join(work, "v"))
print(f"on-disk size: {series} series x {hours} h at 15 s = {samples} samples")
print(f"{'':10} {'chunks B/sample':>16} {'index B/sample':>15} {'total B/sample':>15}")
for name, s in (p, v):
    print(f"{name:10} {s['chunks']/samples:16.3f} {s['index']/samples:15.3f} {s['total']/samples:15.3f}")
print(f"vigil/promtool: total bytes x{v[1]['total']/p[1]['total']:.3f}, chunks x{v[1]['chunks']/p[1]['chunks']:.3f}")
PY
