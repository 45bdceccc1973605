//! Load generator for `bench/pushgateway_bench.sh`: pushes `groups` groups
//! of `series` series each, `rounds` times, from `clients` concurrent
//! keep-alive HTTP/1.1 connections, and prints `pushes=<n> seconds=<s>
//! pushes_per_second=<r> errors=<e>`.
//!
//! Usage: `push_load <host:port> [groups=1000] [series=100] [clients=8] [rounds=2]`
//!
//! Every group is `/metrics/job/bench/instance/<i>`; bodies share family
//! names across groups (a counter, a gauge and an untyped family), as pushes
//! from many instances of one job do, so the consistency check sees
//! realistic overlap.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

fn body(group: usize, series: usize, round: usize) -> String {
    let mut s = String::from(
        "# HELP bench_requests_total Requests.\n# TYPE bench_requests_total counter\n",
    );
    let counters = series / 2;
    let gauges = series * 2 / 5;
    for k in 0..counters {
        s.push_str(&format!(
            "bench_requests_total{{path=\"/p{k}\",code=\"200\"}} {}\n",
            group * 7 + k + round
        ));
    }
    s.push_str("# HELP bench_temperature Temperature.\n# TYPE bench_temperature gauge\n");
    for k in 0..gauges {
        s.push_str(&format!(
            "bench_temperature{{sensor=\"s{k}\"}} {}.5\n",
            k + round
        ));
    }
    for k in 0..series - counters - gauges {
        s.push_str(&format!("bench_misc{{k=\"{k}\"}} {}\n", k * group));
    }
    s
}

/// Sends one PUT on a keep-alive connection; returns the status code.
fn put(
    conn: &mut BufReader<TcpStream>,
    host: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<u16> {
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let s = conn.get_mut();
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut line = String::new();
    conn.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut sink = vec![0u8; len];
    conn.read_exact(&mut sink)?;
    Ok(status)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let host = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:9091".into());
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (groups, series, clients, rounds) = (num(2, 1000), num(3, 100), num(4, 8), num(5, 2));
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let host = host.clone();
            std::thread::spawn(move || {
                let mut conn = BufReader::new(TcpStream::connect(&host).expect("connect"));
                let _ = conn.get_mut().set_nodelay(true);
                let (mut n, mut errors) = (0u64, 0u64);
                for round in 0..rounds {
                    for g in (c..groups).step_by(clients) {
                        let b = body(g, series, round);
                        let path = format!("/metrics/job/bench/instance/{g}");
                        match put(&mut conn, &host, &path, b.as_bytes()) {
                            Ok(200 | 202) => n += 1,
                            Ok(_) => errors += 1,
                            Err(_) => {
                                errors += 1;
                                // The gateway closed the connection, or died:
                                // reconnect, or give up with what was counted.
                                match TcpStream::connect(&host) {
                                    Ok(c) => conn = BufReader::new(c),
                                    Err(e) => {
                                        eprintln!("client {c}: gateway unreachable: {e}");
                                        return (n, errors);
                                    }
                                }
                            }
                        }
                    }
                }
                (n, errors)
            })
        })
        .collect();
    let (mut pushes, mut errors) = (0, 0);
    for h in handles {
        let (n, e) = h.join().unwrap_or((0, 1));
        pushes += n;
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "pushes={pushes} seconds={secs:.3} pushes_per_second={:.1} errors={errors}",
        pushes as f64 / secs
    );
}
