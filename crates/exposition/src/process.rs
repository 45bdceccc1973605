//! The `process_*` self-metrics every Prometheus component exports
//! (client_golang's process collector), read from `/proc/self`: CPU time,
//! memory, file descriptors and the start time. Where `/proc` is missing
//! only the start time is given.

use vigil_model::MetricType;

use crate::{FamilySample, MetricFamily};

/// Page size assumed for `/proc/self/stat`'s resident set (4 KiB on every
/// Linux platform Vigil targets).
const PAGE_SIZE: f64 = 4096.0;
/// Clock ticks per second of `/proc/self/stat`'s CPU times (`USER_HZ`).
const CLOCK_TICKS: f64 = 100.0;

/// The `process_*` families; `start_time_seconds` is the process' start
/// as Unix seconds (`process_start_time_seconds`).
pub fn families(start_time_seconds: f64) -> Vec<MetricFamily> {
    let g = |name: &str, help: &str, v: f64| {
        MetricFamily::with_samples(
            name,
            MetricType::Gauge,
            help,
            vec![FamilySample::float(name, &[], v)],
        )
    };
    let mut out = vec![g(
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
        start_time_seconds,
    )];
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // Fields after the parenthesised command name, which may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        // utime and stime are fields 14 and 15 (1-based), 11 and 12 here.
        if let (Some(u), Some(s)) = (field(11), field(12)) {
            let name = "process_cpu_seconds_total";
            out.push(MetricFamily::with_samples(
                name,
                MetricType::Counter,
                "Total user and system CPU time spent in seconds.",
                vec![FamilySample::float(name, &[], (u + s) / CLOCK_TICKS)],
            ));
        }
        if let Some(v) = field(20) {
            out.push(g(
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                v,
            ));
        }
        if let Some(rss) = field(21) {
            out.push(g(
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                rss * PAGE_SIZE,
            ));
        }
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        out.push(g(
            "process_open_fds",
            "Number of open file descriptors.",
            dir.count() as f64,
        ));
    }
    if let Ok(limits) = std::fs::read_to_string("/proc/self/limits") {
        let max = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|v| v.parse::<f64>().ok());
        if let Some(max) = max {
            out.push(g(
                "process_max_fds",
                "Maximum number of open file descriptors.",
                max,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc() {
        let fams = families(1.0);
        let names: Vec<&str> = fams.iter().map(|f| f.name.as_str()).collect();
        assert!(names.contains(&"process_start_time_seconds"));
        if std::path::Path::new("/proc/self/stat").exists() {
            for n in [
                "process_cpu_seconds_total",
                "process_resident_memory_bytes",
                "process_virtual_memory_bytes",
                "process_open_fds",
                "process_max_fds",
            ] {
                assert!(names.contains(&n), "{n} missing: {names:?}");
            }
        }
    }
}
