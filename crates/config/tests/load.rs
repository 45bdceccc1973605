//! Loading behaviour beyond accept/refuse: defaults, inheritance from
//! `global`, path resolution, secret masking and printing.

use std::path::Path;

use vigil_config::{Config, ConfigError, Duration};

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::load(text, Path::new("/etc/prometheus"))
}

#[test]
fn empty_config_gets_prometheus_defaults() {
    let c = load("").expect("empty config loads");
    assert_eq!(c.global.scrape_interval, Duration::from_secs(60));
    assert_eq!(c.global.scrape_timeout, Duration::from_secs(10));
    assert_eq!(c.global.evaluation_interval, Duration::from_secs(60));
    assert_eq!(c.global.metric_name_validation_scheme, "utf8");
    assert_eq!(c.runtime.gogc, 75);
    assert_eq!(
        c.otlp.translation_strategy,
        "UnderscoreEscapingWithSuffixes"
    );
}

#[test]
fn scrape_configs_inherit_from_global() {
    let c = load(
        "global:\n  scrape_interval: 5s\n  sample_limit: 100\n  body_size_limit: 10MB\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_interval: 1h\n    sample_limit: 7\n",
    )
    .expect("loads");
    let a = &c.scrape_configs[0];
    assert_eq!(a.scrape_interval, Duration::from_secs(5));
    assert_eq!(
        a.scrape_timeout,
        Duration::from_secs(5),
        "timeout is capped by the interval"
    );
    assert_eq!(a.sample_limit, 100);
    assert_eq!(a.body_size_limit.0, 10 << 20);
    assert_eq!(a.metrics_path, "/metrics");
    assert_eq!(a.scheme, "http");
    assert!(
        a.honor_timestamps
            && a.enable_compression
            && a.http.follow_redirects
            && a.http.enable_http2
    );
    assert_eq!(a.metric_name_escaping_scheme, "allow-utf-8");
    assert_eq!(
        a.scrape_protocols.as_deref().map(<[String]>::len),
        Some(4),
        "default protocols without native histograms"
    );
    let b = &c.scrape_configs[1];
    assert_eq!(b.scrape_interval, Duration::from_secs(3600));
    // The global timeout was already capped at the global interval (5s).
    assert_eq!(b.scrape_timeout, Duration::from_secs(5));
    assert_eq!(b.sample_limit, 7);
}

#[test]
fn legacy_scheme_escapes_with_underscores() {
    let c = load(
        "global:\n  metric_name_validation_scheme: legacy\nscrape_configs:\n  - job_name: a\n",
    )
    .expect("loads");
    assert_eq!(c.scrape_configs[0].metric_name_validation_scheme, "legacy");
    assert_eq!(
        c.scrape_configs[0].metric_name_escaping_scheme,
        "underscores"
    );
}

#[test]
fn file_references_resolve_against_the_config_directory() {
    let c = load(
        "rule_files: [rules/*.yml, /abs/r.yml]\nscrape_configs:\n  - job_name: a\n    bearer_token_file: token\n    tls_config: {ca_file: ca.pem}\n    file_sd_configs: [{files: [sd/*.json]}]\n",
    )
    .expect("loads");
    assert_eq!(c.rule_files, ["/etc/prometheus/rules/*.yml", "/abs/r.yml"]);
    let a = &c.scrape_configs[0];
    let auth = a
        .http
        .authorization
        .as_ref()
        .expect("bearer_token_file becomes authorization");
    assert_eq!(auth.kind, "Bearer");
    assert_eq!(auth.credentials_file, "/etc/prometheus/token");
    assert_eq!(a.http.tls_config.ca_file, "/etc/prometheus/ca.pem");
    let files = a.sd.file_sd_configs[0].as_ref().map(|f| f.files.clone());
    assert_eq!(files, Some(vec!["/etc/prometheus/sd/*.json".to_owned()]));
}

#[test]
fn secrets_never_print_and_the_printed_config_loads_again() {
    let text = "global:\n  external_labels: {dc: x}\nscrape_configs:\n  - job_name: a\n    basic_auth: {username: u, password: hunter2}\n    consul_sd_configs: [{server: 'localhost:1234', token: tok3n}]\nremote_write:\n  - url: http://rw/\n    authorization: {credentials: s3cr3t}\n";
    let c = load(text).expect("loads");
    let printed = c.to_yaml();
    for secret in ["hunter2", "tok3n", "s3cr3t"] {
        assert!(!printed.contains(secret), "{secret} leaked:\n{printed}");
    }
    assert!(printed.contains("<secret>"), "{printed}");
    assert!(format!("{c:?}").contains("<secret>"));
    assert!(!format!("{c:?}").contains("hunter2"));
    let again = load(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(again.scrape_configs.len(), 1);
    assert_eq!(
        again.global.external_labels.get("dc").map(String::as_str),
        Some("x")
    );
    assert_eq!(
        again.scrape_configs[0]
            .http
            .basic_auth
            .as_ref()
            .map(|b| b.username.as_str()),
        Some("u")
    );
}

#[test]
fn errors_name_the_section_and_job() {
    let e = load("scrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_timeout: 2m\n")
        .expect_err("timeout above interval");
    assert!(e.to_string().contains(r#"job name "b""#), "{e}");
    let e = load("scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: hashmod, target_label: x}]\n")
        .expect_err("hashmod without modulus");
    assert!(
        e.to_string()
            .starts_with(r#"scrape_configs[0] (job "a"): "#),
        "{e}"
    );
    let e = load("remote_write:\n  - url: http://x\n    queue_config: {capacity: 0}\n")
        .expect_err("capacity");
    assert!(e.to_string().starts_with("remote_write[0]: "), "{e}");
    let e = load("scrape_configs:\n  - job_name: a\n    scrape_interval: 1x\n")
        .expect_err("bad duration");
    assert!(e.to_string().contains("1x"), "{e}");
}

#[test]
fn strict_decoding() {
    let e = load("scrape_configs:\n  - job_name: a\n    metrics_paht: /m\n").expect_err("typo");
    assert!(
        e.to_string().contains("field metrics_paht not found"),
        "{e}"
    );
    let e = load("global: {}\nglobal: {}\n").expect_err("duplicate key");
    assert!(e.to_string().contains("field global already set"), "{e}");
    // yaml.v2 lets a number fill a string field.
    let c = load("scrape_configs:\n  - job_name: 1234\n").expect("numeric job name");
    assert_eq!(c.scrape_configs[0].job_name, "1234");
    // YAML 1.1 booleans, as Go's yaml.v2 reads them.
    let c = load("scrape_configs:\n  - job_name: a\n    honor_labels: yes\n    enable_compression: off\n    scrape_native_histograms: On\n").expect("yaml 1.1 bools");
    assert!(c.scrape_configs[0].honor_labels);
    assert!(!c.scrape_configs[0].enable_compression);
    assert_eq!(c.scrape_configs[0].scrape_native_histograms, Some(true));
    assert!(load("scrape_configs:\n  - job_name: a\n    honor_labels: maybe\n").is_err());
    // Anchors and merge keys work as in Go.
    let c = load("x: &d {scrape_interval: 7s}\n").map(|_| ());
    assert!(c.is_err(), "unknown top-level key");
    let c = load(
        "scrape_configs:\n  - &j {job_name: a, scrape_interval: 7s}\n  - {<<: *j, job_name: b}\n",
    )
    .expect("merge key");
    assert_eq!(c.scrape_configs[1].scrape_interval, Duration::from_secs(7));
}

#[test]
fn scrape_config_files_are_merged() {
    let dir = std::env::temp_dir().join(format!("vigil-config-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("jobs")).expect("mkdir");
    std::fs::write(
        dir.join("jobs/a.yml"),
        "scrape_configs:\n  - job_name: a\n    tls_config: {ca_file: ca.pem}\n",
    )
    .expect("write");
    std::fs::write(dir.join("jobs/b.yml"), "scrape_configs:\n  - job_name: b\n").expect("write");
    std::fs::write(
        dir.join("prometheus.yml"),
        "global: {scrape_interval: 3s}\nscrape_config_files: ['jobs/*.yml']\n",
    )
    .expect("write");
    let c = Config::load_file(dir.join("prometheus.yml")).expect("loads");
    let names: Vec<&str> = c
        .scrape_configs
        .iter()
        .map(|s| s.job_name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(c.scrape_configs[0].scrape_interval, Duration::from_secs(3));
    assert_eq!(
        Path::new(&c.scrape_configs[0].http.tls_config.ca_file),
        dir.join("jobs").join("ca.pem")
    );
    std::fs::write(
        dir.join("prometheus.yml"),
        "scrape_config_files: ['jobs/*.yml']\nscrape_configs: [{job_name: b}]\n",
    )
    .expect("write");
    let e = Config::load_file(dir.join("prometheus.yml")).expect_err("duplicate job");
    assert!(
        e.to_string()
            .contains(r#"found multiple scrape configs with job name "b""#),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn external_labels_expand_from_the_environment() {
    use vigil_config::LoadOptions;
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/config/external_labels.good.yml"),
    )
    .unwrap_or_else(|_| "global:\n  external_labels:\n    bar: foo\n    foo: ${TEST}\n    baz: foo${TEST}bar\n    qux: foo$${TEST}\n    xyz: foo$$bar\n".into());
    let get = |c: &Config, k: &str| c.global.external_labels.get(k).cloned().unwrap_or_default();
    let unset = LoadOptions {
        env: Some(Box::new(|_| None)),
        ..LoadOptions::default()
    };
    let c = Config::load_with(&text, Path::new(""), &unset).expect("loads");
    assert_eq!(get(&c, "baz"), "foobar");
    assert_eq!(get(&c, "foo"), "");
    assert_eq!(get(&c, "qux"), "foo${TEST}");
    assert_eq!(get(&c, "xyz"), "foo$bar");
    let set = LoadOptions {
        env: Some(Box::new(|n| (n == "TEST").then(|| "TestValue".to_owned()))),
        ..LoadOptions::default()
    };
    let c = Config::load_with(&text, Path::new(""), &set).expect("loads");
    assert_eq!(get(&c, "baz"), "fooTestValuebar");
    assert_eq!(get(&c, "foo"), "TestValue");
    assert_eq!(get(&c, "qux"), "foo${TEST}");
}

#[test]
fn default_is_the_empty_file() {
    let empty = load("").expect("loads");
    assert_eq!(Config::default(), empty);
}

#[test]
fn service_discovery_rules() {
    let sd = |body: &str| load(&format!("scrape_configs:\n  - job_name: a\n{body}"));
    let e =
        sd("    dns_sd_configs: [{names: [x.example], type: A}]\n").expect_err("A needs a port");
    assert!(e.to_string().contains("a port is required"), "{e}");
    assert!(sd("    dns_sd_configs: [{names: [x.example], type: A, port: 80}]\n").is_ok());
    let e =
        sd("    dns_sd_configs: [{names: [x.example], type: TXT, port: 80}]\n").expect_err("TXT");
    assert!(
        e.to_string().contains("invalid DNS-SD records type TXT"),
        "{e}"
    );
    let e = sd("    file_sd_configs: [{files: [targets.txt]}]\n").expect_err("extension");
    assert!(
        e.to_string().contains("is not valid for file discovery"),
        "{e}"
    );
    let e = sd("    file_sd_configs: [{files: ['*/targets.json']}]\n").expect_err("glob in dir");
    assert!(
        e.to_string().contains("is not valid for file discovery"),
        "{e}"
    );
    let c = sd("    http_sd_configs: [{url: 'http://sd.example/targets'}]\n").expect("http sd");
    let h = c.scrape_configs[0].sd.http_sd_configs[0]
        .as_ref()
        .expect("entry");
    assert_eq!(h.inner.refresh_interval, Some(Duration::from_secs(60)));
    let e = sd("    http_sd_configs: [{url: 'ftp://sd.example/'}]\n").expect_err("scheme");
    assert!(
        e.to_string()
            .contains("URL scheme must be 'http' or 'https'"),
        "{e}"
    );
    let c = sd("    consul_sd_configs: [{services: [web]}]\n").expect("consul defaults");
    let consul = c.scrape_configs[0].sd.consul_sd_configs[0]
        .as_ref()
        .expect("entry");
    assert_eq!(consul.inner.server.as_deref(), Some("localhost:8500"));
    let c =
        sd("    consul_sd_configs: [{allow_stale: no}]\n").expect("yaml 1.1 bool in an SD config");
    let consul = c.scrape_configs[0].sd.consul_sd_configs[0]
        .as_ref()
        .expect("entry");
    assert_eq!(consul.inner.allow_stale, Some(false));
    let e = sd("    kubernetes_sd_configs: [{role: pod, api_server: 'https://k8s', selectors: [{role: pod, field: 'a'}]}]\n")
        .expect_err("field selector without operator");
    assert!(e.to_string().contains("invalid selector: 'a'"), "{e}");
    let e = sd("    static_configs: [{targets: ['a:1'], lables: {}}]\n").expect_err("typo");
    assert!(e.to_string().contains("lables"), "{e}");
    let e = sd("    remote_sd_configs: [{}]\n").expect_err("unknown SD");
    assert!(
        e.to_string().contains("field remote_sd_configs not found"),
        "{e}"
    );
}

#[test]
fn remote_write_auth_blocks() {
    let rw = |body: &str| {
        load(&format!(
            "remote_write:\n  - url: http://rw.example/\n{body}"
        ))
    };
    let e = rw("    sigv4: {access_key: A}\n").expect_err("half credentials");
    assert!(
        e.to_string()
            .contains("must provide a AWS SigV4 Access key and Secret Key"),
        "{e}"
    );
    assert!(rw("    sigv4: {region: us-east-1}\n").is_ok());
    let e = rw("    sigv4: {region: x}\n    azuread: {sdk: {}}\n").expect_err("two methods");
    assert!(
        e.to_string().contains(
            "at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam"
        ),
        "{e}"
    );
    let e = rw("    azuread: {cloud: Mars, sdk: {}}\n").expect_err("cloud");
    assert!(
        e.to_string()
            .contains("must provide a cloud in the Azure AD config"),
        "{e}"
    );
    let e = rw("    azuread: {oauth: {client_id: nope, client_secret: s, tenant_id: t}}\n")
        .expect_err("uuid");
    assert!(
        e.to_string()
            .contains("the provided Azure OAuth client_id is invalid"),
        "{e}"
    );
    let c = rw("    google_iam: {credentials_file: key.json}\n").expect("google");
    let g = c.remote_write[0].google_iam.as_ref().expect("google_iam");
    assert_eq!(g.credentials_file, "/etc/prometheus/key.json");
    let printed = rw("    azuread: {oauth: {client_id: 00000000-0000-0000-0000-000000000000, client_secret: hush, tenant_id: t}}\n")
        .expect("azure oauth")
        .to_yaml();
    assert!(!printed.contains("hush"), "{printed}");
}

#[test]
fn remote_defaults_as_upstream() {
    let c = load("remote_write: [{url: 'http://rw/'}]\nremote_read: [{url: 'http://rr/'}]\nalerting: {alertmanagers: [{static_configs: [{targets: ['am:9093']}]}]}\n")
        .expect("loads");
    let rw = &c.remote_write[0];
    assert!(
        !rw.http.enable_http2,
        "remote write uses HTTP/1.1 by default"
    );
    assert_eq!(rw.remote_timeout, Duration::from_secs(30));
    assert_eq!(rw.queue_config.capacity, 10000);
    assert_eq!(rw.queue_config.max_shards, 50);
    assert_eq!(rw.metadata_config.max_samples_per_send, 2000);
    assert_eq!(rw.protobuf_message, "prometheus.WriteRequest");
    let rr = &c.remote_read[0];
    assert!(rr.http.enable_http2);
    assert_eq!(rr.remote_timeout, Duration::from_secs(60));
    assert_eq!(rr.chunked_read_limit, Some(50_000_000));
    assert!(rr.filter_external_labels);
    let am = &c.alerting.alertmanagers[0];
    assert_eq!(
        (
            am.scheme.as_str(),
            am.path_prefix.as_str(),
            am.api_version.as_str()
        ),
        ("http", "", "v2")
    );
    assert_eq!(am.timeout, Duration::from_secs(10));
    assert_eq!(c.otlp.label_name_underscore_sanitization, Some(true));
}

#[test]
fn storage_retention() {
    let c = load("storage:\n  tsdb:\n    retention: {time: 15d, size: 512MB, percentage: 0.5}\n    out_of_order_time_window: 30m\n")
        .expect("loads");
    let r = c.storage.tsdb.retention.as_ref().expect("retention");
    assert_eq!(r.size_bytes(), Some(512 << 20));
    assert_eq!(r.time, Duration::from_secs(15 * 86400));
    assert_eq!(r.percentage, Some(0.5));
    assert_eq!(
        c.storage.tsdb.out_of_order_time_window,
        Duration::from_secs(1800)
    );
    let e = load("storage: {tsdb: {retention: {size: -1GB}}}\n").expect_err("negative");
    assert!(
        e.to_string().contains("must be greater than or equal to 0"),
        "{e}"
    );
}

#[test]
fn promtool_reads_sd_files() {
    let dir = std::env::temp_dir().join(format!("vigil-config-sd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let cfg = "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ['sd/*.json', 'missing.yml']}]\n";
    std::fs::create_dir_all(dir.join("sd")).expect("mkdir");
    std::fs::write(
        dir.join("sd/ok.json"),
        r#"[{"targets": ["h:9100"], "labels": {"env": "x"}}]"#,
    )
    .expect("write");
    let c = Config::load(cfg, &dir).expect("loads");
    c.check_sd_files()
        .expect("good SD file, missing file only warned about");
    std::fs::write(
        dir.join("sd/url.json"),
        r#"[{"targets": ["http://h:9100"]}]"#,
    )
    .expect("write");
    let e = c.check_sd_files().expect_err("URL target");
    assert!(
        e.to_string()
            .contains("\"http://h:9100\" is not a valid hostname"),
        "{e}"
    );
    std::fs::write(dir.join("sd/url.json"), "[null]").expect("write");
    let e = c.check_sd_files().expect_err("null group");
    assert!(
        e.to_string()
            .contains("nil target group item found (index 0)"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
