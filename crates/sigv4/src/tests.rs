//! Signatures checked against AWS' published `get-vanilla` vector and
//! against requests of the shapes Vigil sends, signed by an independent
//! implementation (botocore) with the same inputs.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use vigil_config::auth::SigV4Config;

use super::*;
use crate::credentials::{region_in, resolve_in};

fn example_creds(token: Option<&str>) -> Credentials {
    Credentials {
        access_key: "AKIDEXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: token.map(str::to_string),
    }
}

/// 2015-08-30T12:36:00Z, the time of AWS' test suite.
fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn authorization(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    region: &str,
    service: &str,
    token: Option<&str>,
) -> String {
    let req = Request {
        method,
        url,
        headers,
        body,
    };
    let out = sign_with(&req, &example_creds(token), region, service, at()).expect("signs");
    assert_eq!(out[0], ("X-Amz-Date", "20150830T123600Z".to_string()));
    out.into_iter()
        .find(|(k, _)| *k == "Authorization")
        .map(|(_, v)| v)
        .expect("an Authorization header")
}

#[test]
fn aws_get_vanilla() {
    assert_eq!(
        authorization(
            "GET",
            "https://example.amazonaws.com/",
            &[],
            b"",
            "us-east-1",
            "service",
            None
        ),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn post_with_body_query_and_content_type() {
    assert_eq!(
        authorization(
            "POST",
            "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v2/alerts?b=2&a=1",
            &[("Content-Type", "application/json")],
            br#"[{"labels":{}}]"#,
            "eu-west-1",
            "aps",
            None
        ),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/aps/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, \
         Signature=196b632efe7e0903ff326063b4088d9d6b409d1913fa602fbe90069075cec741"
    );
}

#[test]
fn session_token_and_port_in_host() {
    let req = Request {
        method: "POST",
        url: "http://127.0.0.1:9093/api/v2/alerts",
        headers: &[("Content-Type", "application/json")],
        body: b"[]",
    };
    let out = sign_with(
        &req,
        &example_creds(Some("TOKEN")),
        "us-east-1",
        "aps",
        at(),
    )
    .unwrap();
    assert_eq!(out[1], ("X-Amz-Security-Token", "TOKEN".to_string()));
    assert_eq!(
        out[2].1,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/aps/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, \
         Signature=8cfb6b9f1c4b7041391704c322fed0588ba20be752af4812f5bcef89ed4798bb"
    );
}

#[test]
fn escaped_path_is_encoded_again_and_query_sorted() {
    assert_eq!(
        authorization(
            "GET",
            "https://example.amazonaws.com/a%20b/c?y=z&x=1%2F2",
            &[],
            b"",
            "us-east-1",
            "service",
            None
        ),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=1700c3c2d6a932e26e4196751a7eaf984bc668b31713146e68b07fc3bc98915c"
    );
}

#[test]
fn default_port_is_not_part_of_host() {
    let a = authorization(
        "GET",
        "https://example.amazonaws.com:443/",
        &[],
        b"",
        "us-east-1",
        "service",
        None,
    );
    assert!(a.ends_with("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

#[test]
fn bad_urls_are_errors() {
    for url in ["", "example.com/x", "ftp://h/", "https:///x"] {
        let req = Request {
            method: "GET",
            url,
            headers: &[],
            body: b"",
        };
        let err = sign_with(&req, &example_creds(None), "r", "s", at()).unwrap_err();
        assert!(matches!(err, SigV4Error::Url(_)), "{url}: {err}");
    }
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn credentials_order() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    std::fs::write(
        &creds,
        "# shared\n[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n\n\
         [other]\naws_access_key_id=OTHER\naws_secret_access_key=othersecret\naws_session_token=tok\n",
    )
    .unwrap();
    let conf = dir.path().join("config");
    std::fs::write(
        &conf,
        "[default]\nregion = eu-central-1\n[profile other]\nregion=ap-south-1\n",
    )
    .unwrap();
    let files = [
        ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
        ("AWS_CONFIG_FILE", conf.to_str().unwrap()),
    ];

    // Static keys win over everything.
    let mut cfg = SigV4Config {
        access_key: "STATIC".into(),
        secret_key: vigil_config::Secret::new("s3cret"),
        ..SigV4Config::default()
    };
    let e = env(&[
        ("AWS_ACCESS_KEY_ID", "ENVKEY"),
        ("AWS_SECRET_ACCESS_KEY", "envsecret"),
    ]);
    assert_eq!(resolve_in(&cfg, &e).unwrap().access_key, "STATIC");

    // Then the environment, then the shared file's default profile.
    cfg = SigV4Config::default();
    let mut e = env(&files);
    e.insert("AWS_ACCESS_KEY_ID".into(), "ENVKEY".into());
    e.insert("AWS_SECRET_ACCESS_KEY".into(), "envsecret".into());
    assert_eq!(resolve_in(&cfg, &e).unwrap().access_key, "ENVKEY");
    let e = env(&files);
    let c = resolve_in(&cfg, &e).unwrap();
    assert_eq!(
        (c.access_key.as_str(), c.secret_key.as_str()),
        ("FILEKEY", "filesecret")
    );
    assert_eq!(region_in("", &e).unwrap().as_deref(), Some("eu-central-1"));

    // A configured profile reads its own section, token included.
    cfg.profile = "other".into();
    let c = resolve_in(&cfg, &e).unwrap();
    assert_eq!(c.access_key, "OTHER");
    assert_eq!(c.session_token.as_deref(), Some("tok"));
    assert_eq!(
        region_in("other", &e).unwrap().as_deref(),
        Some("ap-south-1")
    );
    assert!(!format!("{c:?}").contains("othersecret"));

    // Nothing anywhere: an error naming where it looked.
    let e = env(&[("HOME", dir.path().join("nohome").to_str().unwrap())]);
    let err = resolve_in(&SigV4Config::default(), &e)
        .unwrap_err()
        .to_string();
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
    assert_eq!(region_in("", &e).unwrap(), None);
}

#[test]
fn role_arn_is_refused_clearly() {
    let cfg = SigV4Config {
        region: "us-east-1".into(),
        role_arn: "arn:aws:iam::1:role/x".into(),
        ..SigV4Config::default()
    };
    let err = Signer::new(&cfg).unwrap_err().to_string();
    assert!(err.contains("role_arn"), "{err}");
}
