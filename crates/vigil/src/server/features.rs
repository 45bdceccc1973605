//! What `vigil server` adds to `/api/v1/features` beyond the API and
//! PromQL features the web crate registers: the server's mode, rule
//! evaluation, storage, the service discovery mechanisms that run and the
//! alert template functions. Only what Vigil implements is `true`.

use vigil_web::Features;
use vigil_web::features::category::{
    PROMETHEUS, RULES, SERVICE_DISCOVERY_PROVIDERS, TEMPLATING_FUNCTIONS, TSDB,
};

use super::ServerArgs;

/// Registers the server's features in `f`.
pub(crate) fn register(f: &Features, args: &ServerArgs) {
    f.set(PROMETHEUS, "agent_mode", false);
    f.set(PROMETHEUS, "server_mode", true);
    f.set(PROMETHEUS, "auto_reload_config", false);
    f.set(
        RULES,
        "concurrent_rule_eval",
        args.feature("concurrent-rule-eval"),
    );
    f.enable(RULES, "query_offset");
    f.enable(RULES, "keep_firing_for");
    f.set(TSDB, "exemplar_storage", args.feature("exemplar-storage"));
    f.enable(TSDB, "native_histograms");
    f.set(TSDB, "delayed_compaction", false);
    // Static targets are configuration, not a discovery mechanism.
    for sd in ["dns", "file", "http"] {
        f.enable(SERVICE_DISCOVERY_PROVIDERS, sd);
    }
    let ctx = vigil_template::prometheus::Context::default();
    for name in vigil_template::prometheus::functions(&ctx).keys() {
        f.enable(TEMPLATING_FUNCTIONS, name);
    }
}
