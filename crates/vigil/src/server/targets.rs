//! The scrape manager as the web API sees it: `vigil-web`'s
//! [`TargetsProvider`] over [`ScrapeManager`]'s snapshots. The two crates
//! do not know each other; this is the only place that converts.

use std::sync::Arc;

use vigil_scrape::{Health, ScrapeManager};
use vigil_web::{
    ActiveTarget, DroppedTarget, MetricMetadata, TargetHealth, TargetMetadata, TargetsProvider,
};

/// Adapts a [`ScrapeManager`] to [`TargetsProvider`].
#[derive(Debug)]
pub(crate) struct Targets {
    scrape: Arc<ScrapeManager>,
}

impl Targets {
    /// Wraps `scrape`.
    pub(crate) fn new(scrape: Arc<ScrapeManager>) -> Targets {
        Targets { scrape }
    }
}

fn health(h: Health) -> TargetHealth {
    match h {
        Health::Unknown => TargetHealth::Unknown,
        Health::Up => TargetHealth::Up,
        Health::Down => TargetHealth::Down,
    }
}

impl TargetsProvider for Targets {
    fn active(&self) -> Vec<ActiveTarget> {
        self.scrape
            .active_targets()
            .into_iter()
            .map(|t| ActiveTarget {
                discovered_labels: t.discovered_labels,
                labels: t.labels,
                scrape_pool: t.scrape_pool,
                scrape_url: t.scrape_url,
                global_url: t.global_url,
                last_error: t.last_error,
                last_scrape: t.last_scrape,
                last_scrape_duration: t.last_scrape_duration,
                health: health(t.health),
                scrape_interval: t.scrape_interval,
                scrape_timeout: t.scrape_timeout,
            })
            .collect()
    }

    fn dropped(&self) -> Vec<DroppedTarget> {
        self.scrape
            .dropped_targets()
            .into_iter()
            .map(|t| DroppedTarget {
                discovered_labels: t.discovered_labels,
                scrape_pool: t.scrape_pool,
            })
            .collect()
    }

    fn dropped_counts(&self) -> Vec<(String, usize)> {
        self.scrape.dropped_counts()
    }

    fn scrape_pools(&self) -> Vec<String> {
        self.scrape.scrape_pools()
    }

    fn metadata(&self, metric: Option<&str>) -> Vec<TargetMetadata> {
        self.scrape
            .target_metadata(metric)
            .into_iter()
            .map(|t| TargetMetadata {
                target: t.target,
                metadata: t
                    .metadata
                    .into_iter()
                    .map(|m| MetricMetadata {
                        metric: m.metric,
                        kind: m.kind,
                        help: m.help,
                        unit: m.unit,
                    })
                    .collect(),
            })
            .collect()
    }
}
