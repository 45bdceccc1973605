#!/usr/bin/env python3
"""Load generator for bench/alertmanager_bench.sh: posts `alerts` firing
alerts spread over `groups` alertnames (one aggregation group each with
`group_by: [alertname]`) to an Alertmanager's /api/v2/alerts, `rounds`
times (as Prometheus re-sends firing alerts), in batches of `batch`, from
`clients` processes each holding one keep-alive connection.

    alertmanager_load.py HOST:PORT [alerts] [groups] [clients] [rounds] [batch]

Prints `alerts_per_second=<n> requests=<n> seconds=<s>`; exits 1 if any
request was not answered 200.
"""

import http.client
import json
import multiprocessing
import sys
import time


def bodies(alerts, groups, batch):
    items = []
    for i in range(alerts):
        g = i % groups
        items.append({
            "labels": {
                "alertname": f"Bench{g}",
                "instance": f"host-{i // groups}:9100",
                "job": "node",
                "severity": "warning" if i % 3 else "critical",
            },
            "annotations": {"summary": f"bench alert {i}"},
            "generatorURL": f"http://prometheus:9090/graph?g0.expr=up%7Bi%3D%22{i}%22%7D",
            "startsAt": "2026-01-01T00:00:00Z",
        })
    return [json.dumps(items[i:i + batch]).encode() for i in range(0, len(items), batch)]


def worker(args):
    addr, chunk, rounds = args
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    bad = 0
    for _ in range(rounds):
        for body in chunk:
            conn.request("POST", "/api/v2/alerts", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                bad += 1
    conn.close()
    return bad


def main():
    argv = sys.argv[1:]
    addr = argv[0]
    alerts, groups, clients, rounds, batch = (
        [int(x) for x in argv[1:6]] + [10000, 500, 8, 3, 100][len(argv[1:6]):]
    )
    all_bodies = bodies(alerts, groups, batch)
    chunks = [(addr, all_bodies[c::clients], rounds) for c in range(clients)]
    with multiprocessing.Pool(clients) as pool:
        start = time.monotonic()
        bad = sum(pool.map(worker, chunks))
        seconds = time.monotonic() - start
    sent = alerts * rounds
    print(f"alerts_per_second={sent / seconds:.1f} requests={len(all_bodies) * rounds} seconds={seconds:.2f}")
    if bad:
        print(f"{bad} requests were not answered 200", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
