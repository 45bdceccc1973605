//! End-to-end tests of the HTTP API over a real database and socket.

mod common;

use common::{get, post_form, start};

#[tokio::test]
async fn instant_queries_render_like_prometheus() {
    let s = start(|_| {}, |st| st).await;
    let (code, body) = get(&s, "/api/v1/query?query=up&time=600").await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"x","job":"a"},"value":[600,"1"]},{"metric":{"__name__":"up","instance":"y","job":"b"},"value":[600,"0"]}]}}"#
    );
    let (_, body) = get(&s, "/api/v1/query?query=1%2B1.5&time=1.5").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"scalar","result":[1.5,"2.5"]}}"#
    );
    let (_, body) = get(&s, "/api/v1/query?query=%22a%3Cb%22&time=2").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"string","result":[2,"a\u003cb"]}}"#
    );
    let (_, body) = get(&s, "/api/v1/query?query=up%5B30s%5D&time=600").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","instance":"x","job":"a"},"values":[[585,"1"],[600,"1"]]},{"metric":{"__name__":"up","instance":"y","job":"b"},"values":[[585,"0"],[600,"0"]]}]}}"#
    );
    // Native histograms.
    let (_, body) = get(&s, "/api/v1/query?query=hist&time=0").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"hist"},"histogram":[0,{"count":"3","sum":"10","buckets":[[3,"-0.001","0.001","1"],[0,"0.5","1","1"],[0,"1","2","1"]]}]}]}}"#
    );
    // POST form, limit with its warning.
    let (code, body) = post_form(&s, "/api/v1/query", "query=up&time=600&limit=1").await;
    assert_eq!(code, 200);
    assert!(
        body.ends_with(r#""warnings":["results truncated due to limit"]}"#),
        "{body}"
    );
    // Annotations.
    let (_, body) = get(&s, "/api/v1/query?query=rate(up%5B1m%5D)&time=600").await;
    assert!(
        body.contains(r#""infos":["PromQL info: metric might not be a counter"#),
        "{body}"
    );
    s.stop().await;
}

#[tokio::test]
async fn range_queries_and_their_limits() {
    let s = start(|_| {}, |st| st).await;
    let (code, body) = get(
        &s,
        "/api/v1/query_range?query=http_requests_total&start=0&end=30&step=15",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"http_requests_total","code":"200"},"values":[[0,"0"],[15,"10"],[30,"20"]]}]}}"#
    );
    let cases = [
        (
            "/api/v1/query_range?query=up&start=0&end=30&step=0",
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"}"#,
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=11001&step=1",
            r#"{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}"#,
        ),
        (
            "/api/v1/query_range?query=up&start=x&end=30&step=1",
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"x\" to a valid timestamp"}"#,
        ),
        (
            "/api/v1/query_range?query=up&start=30&end=0&step=1",
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": end timestamp must not be before start time"}"#,
        ),
        (
            "/api/v1/query_range?query=up%5B1m%5D&start=0&end=30&step=1",
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"}"#,
        ),
    ];
    for (path, want) in cases {
        let (code, body) = get(&s, path).await;
        assert_eq!((code, body.as_str()), (400, want), "{path}");
    }
    s.stop().await;
}

#[tokio::test]
async fn errors_have_prometheus_types_and_codes() {
    let s = start(|_| {}, |st| st).await;
    let (code, body) = get(&s, "/api/v1/query?query=sum(").await;
    assert_eq!(code, 400);
    assert!(body.starts_with(r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error"#), "{body}");
    let (code, body) = get(&s, "/api/v1/query?query=up&time=yesterday").await;
    assert_eq!(code, 400);
    assert!(body.contains("invalid time value for 'time'"), "{body}");
    let (code, body) = get(&s, "/api/v1/query?query=up&timeout=x").await;
    assert_eq!(code, 400);
    assert!(
        body.contains(r#"invalid parameter \"timeout\": cannot parse \"x\" to a valid duration"#),
        "{body}"
    );
    // Execution errors are 422.
    let (code, body) = get(
        &s,
        "/api/v1/query?query=up%7Bjob%3D~%22a%7Cb%22%7D%20%2B%20on()%20up&time=600",
    )
    .await;
    assert_eq!(code, 422, "{body}");
    assert!(body.contains(r#""errorType":"execution""#));
    // Deep nesting is refused, not a crash.
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let (code, _) = post_form(&s, "/api/v1/query", &format!("query={deep}")).await;
    assert_eq!(code, 400);
    let (code, _) = get(&s, "/api/v1/series?match[]=%7Ba%3D~%22(%22%7D").await;
    assert_eq!(code, 400);
    s.stop().await;
}

#[tokio::test]
async fn series_labels_and_values() {
    let s = start(|_| {}, |st| st).await;
    let (code, body) = get(&s, "/api/v1/series?match[]=up&match[]=http_requests_total").await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        r#"{"status":"success","data":[{"__name__":"http_requests_total","code":"200"},{"__name__":"up","instance":"x","job":"a"},{"__name__":"up","instance":"y","job":"b"}]}"#
    );
    let (code, body) = get(&s, "/api/v1/series").await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"no match[] parameter provided"}"#
        )
    );
    let (_, body) = get(&s, "/api/v1/labels").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":["__name__","code","instance","job","my.label"]}"#
    );
    let (_, body) = get(&s, "/api/v1/labels?match[]=up").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":["__name__","instance","job"]}"#
    );
    let (_, body) = get(&s, "/api/v1/label/job/values").await;
    assert_eq!(body, r#"{"status":"success","data":["a","b"]}"#);
    let (_, body) = get(&s, "/api/v1/label/__name__/values?limit=2").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":["hist","http_requests_total"],"warnings":["results truncated due to limit"]}"#
    );
    let (_, body) = get(&s, "/api/v1/label/U__my_2e_label/values").await;
    assert_eq!(body, r#"{"status":"success","data":["v"]}"#);
    let (_, body) = get(
        &s,
        "/api/v1/label/job/values?match[]=up%7Binstance%3D%22y%22%7D",
    )
    .await;
    assert_eq!(body, r#"{"status":"success","data":["b"]}"#);
    // Outside the data's time range.
    let (_, body) = get(&s, "/api/v1/series?match[]=up&start=100000&end=200000").await;
    assert_eq!(body, r#"{"status":"success","data":[]}"#);
    let (_, body) = get(&s, "/api/v1/format_query?query=sum(up)by(job)").await;
    assert_eq!(body, r#"{"status":"success","data":"sum by (job) (up)"}"#);
    s.stop().await;
}

#[tokio::test]
async fn readiness_health_and_lifecycle() {
    let quits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let q = std::sync::Arc::clone(&quits);
    let s = start(
        |o| o.enable_lifecycle = true,
        move |st| {
            st.with_quit(std::sync::Arc::new(move || {
                q.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }))
            .with_reload(std::sync::Arc::new(|| {
                Box::pin(async { Err("bad config".to_string()) })
            }))
        },
    )
    .await;
    assert_eq!(
        get(&s, "/-/healthy").await,
        (200, "Prometheus is Healthy.\n".into())
    );
    assert_eq!(
        get(&s, "/-/ready").await,
        (200, "Prometheus is Ready.\n".into())
    );
    s.state.set_readiness(vigil_web::Readiness::NotReady);
    assert_eq!(
        get(&s, "/-/ready").await,
        (503, "Service Unavailable".into())
    );
    assert_eq!(
        get(&s, "/api/v1/query?query=up").await,
        (503, "Service Unavailable".into())
    );
    // WAL replay progress is served while not ready.
    assert_eq!(
        get(&s, "/api/v1/status/walreplay").await,
        (
            200,
            r#"{"status":"success","data":{"min":0,"max":0,"current":0}}"#.into()
        )
    );
    s.state.set_ready();
    assert_eq!(
        get(&s, "/-/quit").await,
        (405, "Only POST or PUT requests allowed".into())
    );
    let (code, body) = post_form(&s, "/-/reload", "").await;
    assert_eq!(
        (code, body.as_str()),
        (500, "failed to reload config: bad config\n")
    );
    let (code, body) = post_form(&s, "/-/quit", "").await;
    assert_eq!(
        (code, body.as_str()),
        (200, "Requesting termination... Goodbye!")
    );
    let (_, body) = post_form(&s, "/-/quit", "").await;
    assert_eq!(body, "Termination already in progress.");
    assert_eq!(quits.load(std::sync::atomic::Ordering::SeqCst), 1);
    s.stop().await;

    let s = start(|_| {}, |st| st).await;
    assert_eq!(
        post_form(&s, "/-/reload", "").await,
        (403, "Lifecycle API is not enabled.".into())
    );
    s.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_handler() {
    let s = start(|_| {}, |st| st).await;
    get(&s, "/api/v1/query?query=up").await;
    get(&s, "/api/v1/label/job/values").await;
    let (code, body) = get(&s, "/metrics").await;
    assert_eq!(code, 200);
    for want in [
        "prometheus_http_requests_total{code=\"200\",handler=\"/api/v1/query\"} 1",
        "prometheus_http_requests_total{code=\"200\",handler=\"/api/v1/label/:name/values\"} 1",
        "prometheus_http_request_duration_seconds_count{handler=\"/api/v1/query\"} 1",
        "prometheus_ready 1",
        "prometheus_tsdb_head_series 5",
        "# TYPE process_cpu_seconds_total counter",
        "process_open_fds ",
    ] {
        assert!(body.contains(want), "missing {want}:\n{body}");
    }
    s.stop().await;
}

#[tokio::test]
async fn federation_serves_latest_samples_with_external_labels() {
    let s = start(
        |_| {},
        |st| {
            let mut cfg = vigil_config::Config::default();
            cfg.global
                .external_labels
                .insert("zone".into(), "eu".into());
            let cfg = std::sync::Arc::new(cfg);
            st.with_config(std::sync::Arc::new(move || std::sync::Arc::clone(&cfg)))
        },
    )
    .await;
    // The samples are at 0–600 s; federation looks back from now, so
    // write a fresh sample first.
    let now = vigil_web::params::system_time_ms(std::time::SystemTime::now());
    let mut app = s.state.db.head().appender();
    let l = vigil_model::Labels::from_pairs(&[("__name__", "fresh"), ("a", "b")]);
    app.append(&l, now, 7.0).unwrap();
    app.commit().unwrap();
    let (code, body) = get(&s, "/federate?match[]=fresh&match[]=up").await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        format!("# TYPE fresh untyped\nfresh{{a=\"b\",zone=\"eu\"}} 7 {now}\n")
    );
    // Protobuf when asked for it.
    let r = common::client()
        .get(s.url("/federate?match[]=fresh"))
        .header(
            "Accept",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
        )
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/vnd.google.protobuf")
    );
    let (code, body) = get(&s, "/federate?match[]=%7B").await;
    assert_eq!(code, 400, "{body}");
    s.stop().await;
}
