//! The server's storage: the TSDB opened with the flags' and the
//! configuration's settings, and the background compaction that Prometheus'
//! `DB.run` performs once a minute (head → blocks, leveled compaction,
//! retention).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use vigil_config::Config;
use vigil_tsdb::db::{Db, DbOptions};

use super::args::ServerArgs;

/// How often the compactor looks for work, as Prometheus' DB does.
const COMPACTION_INTERVAL: Duration = Duration::from_secs(60);

/// The TSDB options for these flags and this configuration.
pub(crate) fn db_options(args: &ServerArgs, config: &Config) -> DbOptions {
    let tsdb = &config.storage.tsdb;
    // Prometheus 3.x lets the configuration file's storage.tsdb.retention
    // override the flags at start and on reload.
    let retention_time = tsdb
        .retention
        .as_ref()
        .map(|r| r.time.as_millis())
        .filter(|t| *t > 0)
        .unwrap_or_else(|| args.retention_ms());
    let retention_size = tsdb
        .retention
        .as_ref()
        .and_then(|r| r.size_bytes())
        .or(args.retention_size)
        .unwrap_or(0);
    let mut opts = DbOptions::with_retention(retention_time);
    let min = args.min_block_duration.as_millis();
    let max = args
        .max_block_duration
        .map(|d| d.as_millis())
        .unwrap_or_else(|| opts.block_ranges.last().copied().unwrap_or(min));
    // Ranges grow by 3× from the head's block length up to the largest
    // block allowed, as Prometheus' ExponentialBlockRanges.
    opts.block_ranges = vigil_tsdb::db::exponential_block_ranges(min, 10, 3)
        .into_iter()
        .filter(|r| *r <= max.max(min))
        .collect();
    opts.retention_size = retention_size;
    opts.head.wal_compression = args.wal_compression();
    opts.head.out_of_order_time_window = tsdb.out_of_order_time_window.as_millis();
    let configured_exemplars = config
        .storage
        .exemplars
        .as_ref()
        .map(|e| usize::try_from(e.max_exemplars).unwrap_or(0));
    opts.head.max_exemplars = if args.feature("exemplar-storage") {
        configured_exemplars.unwrap_or(args.max_exemplars)
    } else {
        0
    };
    opts
}

/// Opens the data directory (replaying the WAL), logging what replay found.
pub(crate) fn open(dir: &Path, opts: DbOptions) -> anyhow::Result<Arc<Db>> {
    let started = Instant::now();
    log::info!("Starting TSDB ... dir={}", dir.display());
    let (db, report) =
        Db::open(dir, opts).with_context(|| format!("opening storage at {}", dir.display()))?;
    log::info!(
        "WAL replay completed in {:.3}s: segments={} series={} samples={} \
         mmapped_chunks={} out_of_order_samples={} exemplars={}",
        started.elapsed().as_secs_f64(),
        report.segments,
        report.series,
        report.samples,
        report.mmapped_chunks,
        report.ooo_samples,
        report.exemplars
    );
    // Damage was repaired (truncated at the first bad record, everything
    // before it kept); say what and where so an operator can look.
    if let Some(c) = &report.corruption {
        log::warn!("WAL corruption repaired: {c:?}");
    }
    if let Some(c) = &report.wbl_corruption {
        log::warn!("WBL corruption repaired: {c:?}");
    }
    if let Some(c) = &report.chunks_corruption {
        log::warn!("head chunk file corruption repaired: {c:?}");
    }
    if report.bad_records + report.bad_series + report.unknown_refs > 0 {
        log::warn!(
            "WAL replay skipped data: bad_records={} bad_series={} unknown_series_refs={}",
            report.bad_records,
            report.bad_series,
            report.unknown_refs
        );
    }
    log::info!("TSDB started");
    Ok(Arc::new(db))
}

/// Runs compaction once a minute until `stop` resolves. Each run happens on
/// a blocking thread so queries and scrapes are never stalled by it.
pub(crate) async fn compactor(db: Arc<Db>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(COMPACTION_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick fires at once; Prometheus waits a full interval.
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let db = Arc::clone(&db);
        match tokio::task::spawn_blocking(move || db.compact()).await {
            Ok(Ok(blocks)) if !blocks.is_empty() => {
                for b in blocks {
                    log::info!(
                        "compact blocks: wrote block ulid={} mint={} maxt={}",
                        b.ulid,
                        b.min_time,
                        b.max_time
                    );
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => log::error!("compaction failed: {e}"),
            Err(e) => log::error!("compaction task failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> ServerArgs {
        super::super::args::parse_for_tests(argv).unwrap()
    }

    #[test]
    fn block_ranges_follow_retention() {
        let o = db_options(&args(&[]), &Config::default());
        let h = 3_600_000;
        // 15 d retention: up to 10 % (36 h) → 2 h, 6 h, 18 h.
        assert_eq!(o.block_ranges, vec![2 * h, 6 * h, 18 * h]);
        assert_eq!(o.retention_time, 15 * 24 * h);
        let o = db_options(
            &args(&["--storage.tsdb.max-block-duration=2h"]),
            &Config::default(),
        );
        assert_eq!(o.block_ranges, vec![2 * h]);
        assert_eq!(o.head.max_exemplars, 0);
        let o = db_options(
            &args(&["--enable-feature=exemplar-storage"]),
            &Config::default(),
        );
        assert_eq!(o.head.max_exemplars, 100_000);
    }

    #[test]
    fn config_retention_overrides_flags() {
        let cfg = Config::load(
            "storage:\n  tsdb:\n    retention:\n      time: 1d\n      size: 1GB\n",
            Path::new("."),
        )
        .unwrap();
        let o = db_options(&args(&["--storage.tsdb.retention.time=30d"]), &cfg);
        assert_eq!(o.retention_time, 86_400_000);
        assert_eq!(o.retention_size, 1 << 30);
    }
}
