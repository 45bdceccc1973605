//! Content negotiation for the exposition formats, both ways:
//!
//! - Serving metrics: [`negotiate`] picks a [`Format`] and an
//!   [`EscapingScheme`] from a request's `Accept` header, as prometheus/common's
//!   `expfmt.Negotiate` / `expfmt.NegotiateIncludingOpenMetrics` do: entries
//!   are tried by descending `q`, the first one matching an offered format
//!   wins, the `escaping=` parameter selects the name escaping (default
//!   `underscores`, so UTF-8 names only go to clients that ask with
//!   `escaping=allow-utf-8`), and the text format is the fallback.
//! - Scraping: [`scrape_accept_header`] builds the `Accept` header from
//!   Prometheus 3's `scrape_protocols` (`config.ScrapeProtocolsHeaders`,
//!   `scrape.acceptHeader`), and [`scrape_format`] maps the response's
//!   `Content-Type` to the parser to use, failing on a missing or unknown
//!   type unless a `fallback_scrape_protocol` is configured.
//!
//! Only formats this crate can write are offered: the protobuf text and
//! compact-text encodings are never chosen.

use vigil_model::EscapingScheme;

/// An exposition format (media type without the `escaping` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    PrometheusText0_0_4,
    /// Prometheus text format 1.0.0 (text 0.0.4 with UTF-8 names; Prometheus 3's `PrometheusText1.0.0`).
    PrometheusText1_0_0,
    /// OpenMetrics text 0.0.1 (parsed like 1.0.0).
    OpenMetrics0_0_1,
    /// OpenMetrics text 1.0.0.
    OpenMetrics1_0_0,
    /// Delimited protobuf `io.prometheus.client.MetricFamily` messages.
    ProtobufDelimited,
}

/// Which parser a [`Format`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParserKind {
    /// `TextParser` (Prometheus text 0.0.4 / 1.0.0).
    Text,
    /// `OpenMetricsParser`.
    OpenMetrics,
    /// [`ProtobufParser`](crate::ProtobufParser).
    Protobuf,
}

const PROTO_MEDIA: &str = "application/vnd.google.protobuf";
const PROTO_NAME: &str = "io.prometheus.client.MetricFamily";
const OM_MEDIA: &str = "application/openmetrics-text";

impl Format {
    /// The media type as servers send it, without `escaping`.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::PrometheusText0_0_4 => "text/plain; version=0.0.4; charset=utf-8",
            Format::PrometheusText1_0_0 => "text/plain; version=1.0.0; charset=utf-8",
            Format::OpenMetrics0_0_1 => {
                "application/openmetrics-text; version=0.0.1; charset=utf-8"
            }
            Format::OpenMetrics1_0_0 => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
            }
            Format::ProtobufDelimited => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            }
        }
    }

    /// The `Content-Type` to send for this format with names escaped by
    /// `escaping`: the media type plus `; escaping=<scheme>`, as `expfmt`
    /// appends it to every negotiated format.
    pub fn content_type(self, escaping: EscapingScheme) -> String {
        format!("{}; escaping={}", self.media_type(), escaping.as_str())
    }

    /// The parser for bodies in this format.
    pub fn parser_kind(self) -> ParserKind {
        match self {
            Format::PrometheusText0_0_4 | Format::PrometheusText1_0_0 => ParserKind::Text,
            Format::OpenMetrics0_0_1 | Format::OpenMetrics1_0_0 => ParserKind::OpenMetrics,
            Format::ProtobufDelimited => ParserKind::Protobuf,
        }
    }

    /// The `(type, subtype, params)` of the media type, for matching.
    fn parts(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    ) {
        match self {
            Format::PrometheusText0_0_4 => (
                "text",
                "plain",
                &[("version", "0.0.4"), ("charset", "utf-8")],
            ),
            Format::PrometheusText1_0_0 => (
                "text",
                "plain",
                &[("version", "1.0.0"), ("charset", "utf-8")],
            ),
            Format::OpenMetrics0_0_1 => (
                "application",
                "openmetrics-text",
                &[("version", "0.0.1"), ("charset", "utf-8")],
            ),
            Format::OpenMetrics1_0_0 => (
                "application",
                "openmetrics-text",
                &[("version", "1.0.0"), ("charset", "utf-8")],
            ),
            Format::ProtobufDelimited => (
                "application",
                "vnd.google.protobuf",
                &[("proto", PROTO_NAME), ("encoding", "delimited")],
            ),
        }
    }
}

/// Why a scrape response's format could not be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiateError {
    /// The response had no (or a blank) `Content-Type`.
    #[error(
        "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target"
    )]
    MissingContentType,
    /// The `Content-Type` is not a well-formed media type.
    #[error("cannot parse Content-Type {0:?} and no fallback_scrape_protocol specified for target")]
    InvalidContentType(String),
    /// The `Content-Type` names a format Vigil cannot parse.
    #[error(
        "received unsupported Content-Type {0:?} and no fallback_scrape_protocol specified for target"
    )]
    UnsupportedContentType(String),
}

/// One media range of an `Accept` header (or one media type).
#[derive(Debug, Clone, PartialEq)]
struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    q: f64,
    params: Vec<(&'a str, &'a str)>,
}

impl<'a> MediaRange<'a> {
    fn param(&self, key: &str) -> Option<&'a str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    }
}

/// Parses one media range: `type/subtype` (or a bare `*`) and `;key=value`
/// parameters, `q` taken out as the weight. `None` when malformed.
fn parse_media_range(s: &str) -> Option<MediaRange<'_>> {
    let mut parts = s.split(';');
    let range = parts.next()?.trim();
    let (kind, subtype) = match range.split_once('/') {
        Some((t, st)) if !t.is_empty() && !st.is_empty() && !st.contains('/') => {
            (t.trim(), st.trim())
        }
        None if range == "*" => ("*", "*"),
        _ => return None,
    };
    let mut q = 1.0;
    let mut params = Vec::new();
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim().trim_matches('"'));
        if k == "q" {
            q = v.parse().unwrap_or(0.0);
        } else {
            params.push((k, v));
        }
    }
    Some(MediaRange {
        kind,
        subtype,
        q,
        params,
    })
}

/// Whether the `Accept` entry `ac` accepts format `f` (expfmt's `matchFormat`:
/// every parameter of the format but `charset` must match, a missing
/// `version` meaning 0.0.1 for OpenMetrics and 0.0.4 for text).
fn matches(ac: &MediaRange<'_>, f: Format) -> bool {
    let (kind, subtype, params) = f.parts();
    // Like expfmt's Negotiate, only an entry naming a format picks it: a
    // wildcard (`*/*`, `text/*`) falls through to the text default rather
    // than choosing protobuf or OpenMetrics for a client that did not ask.
    if ac.kind == "*" || ac.subtype == "*" {
        return false;
    }
    if !ac.kind.eq_ignore_ascii_case(kind) || !ac.subtype.eq_ignore_ascii_case(subtype) {
        return false;
    }
    let default_version = if ac.kind.eq_ignore_ascii_case("application")
        && ac.subtype.eq_ignore_ascii_case("openmetrics-text")
    {
        "0.0.1"
    } else if ac.kind.eq_ignore_ascii_case("text") && ac.subtype.eq_ignore_ascii_case("plain") {
        "0.0.4"
    } else {
        ""
    };
    params
        .iter()
        .filter(|(k, _)| *k != "charset")
        .all(|(k, v)| {
            let got = match ac.param(k) {
                Some(g) => g,
                None if *k == "version" => default_version,
                None => "",
            };
            got == *v
        })
}

/// Chooses the format and name escaping for serving metrics to a client
/// that sent `accept`. OpenMetrics is only offered when `allow_openmetrics`
/// is set (Prometheus' `/federate` and client_golang's `EnableOpenMetrics`).
pub fn negotiate(accept: &str, allow_openmetrics: bool) -> (Format, EscapingScheme) {
    let offered: &[Format] = if allow_openmetrics {
        &[
            Format::OpenMetrics1_0_0,
            Format::OpenMetrics0_0_1,
            Format::ProtobufDelimited,
            Format::PrometheusText0_0_4,
        ]
    } else {
        &[Format::ProtobufDelimited, Format::PrometheusText0_0_4]
    };
    let mut ranges: Vec<MediaRange<'_>> = accept
        .split(',')
        .filter_map(|s| parse_media_range(s.trim()))
        // q=0 means "not acceptable" (RFC 9110).
        .filter(|r| r.q > 0.0)
        .collect();
    // Highest weight first; among equal weights, specific types before
    // wildcards; otherwise keep the header's order.
    ranges.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then((a.kind == "*").cmp(&(b.kind == "*")))
            .then((a.subtype == "*").cmp(&(b.subtype == "*")))
    });
    let mut escaping = EscapingScheme::Underscores;
    for ac in &ranges {
        // Like expfmt, an escaping parameter counts even on an entry whose
        // type is not offered; unknown values are ignored.
        if let Some(e) = ac.param("escaping").and_then(EscapingScheme::parse) {
            escaping = e;
        }
        if let Some(f) = offered.iter().find(|f| matches(ac, **f)) {
            return (*f, escaping);
        }
    }
    (Format::PrometheusText0_0_4, escaping)
}

/// A scrape protocol as named in `scrape_protocols` / `fallback_scrape_protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScrapeProtocol {
    /// `PrometheusProto`.
    PrometheusProto,
    /// `PrometheusText0.0.4`.
    PrometheusText0_0_4,
    /// `PrometheusText1.0.0`.
    PrometheusText1_0_0,
    /// `OpenMetricsText0.0.1`.
    OpenMetricsText0_0_1,
    /// `OpenMetricsText1.0.0`.
    OpenMetricsText1_0_0,
}

/// Prometheus 3's default `scrape_protocols`.
pub const DEFAULT_SCRAPE_PROTOCOLS: &[ScrapeProtocol] = &[
    ScrapeProtocol::OpenMetricsText1_0_0,
    ScrapeProtocol::OpenMetricsText0_0_1,
    ScrapeProtocol::PrometheusText1_0_0,
    ScrapeProtocol::PrometheusText0_0_4,
];

/// The default when native histograms (or created-timestamp ingestion) are
/// enabled: protobuf first.
pub const DEFAULT_PROTO_FIRST_SCRAPE_PROTOCOLS: &[ScrapeProtocol] = &[
    ScrapeProtocol::PrometheusProto,
    ScrapeProtocol::OpenMetricsText1_0_0,
    ScrapeProtocol::OpenMetricsText0_0_1,
    ScrapeProtocol::PrometheusText1_0_0,
    ScrapeProtocol::PrometheusText0_0_4,
];

/// Number of known protocols; the `Accept` weights count down from one more.
const PROTOCOL_COUNT: usize = 5;

impl ScrapeProtocol {
    /// The configuration name, e.g. `OpenMetricsText1.0.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => "PrometheusProto",
            ScrapeProtocol::PrometheusText0_0_4 => "PrometheusText0.0.4",
            ScrapeProtocol::PrometheusText1_0_0 => "PrometheusText1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "OpenMetricsText0.0.1",
            ScrapeProtocol::OpenMetricsText1_0_0 => "OpenMetricsText1.0.0",
        }
    }

    /// Parses a configuration name.
    pub fn parse(s: &str) -> Option<ScrapeProtocol> {
        Some(match s {
            "PrometheusProto" => ScrapeProtocol::PrometheusProto,
            "PrometheusText0.0.4" => ScrapeProtocol::PrometheusText0_0_4,
            "PrometheusText1.0.0" => ScrapeProtocol::PrometheusText1_0_0,
            "OpenMetricsText0.0.1" => ScrapeProtocol::OpenMetricsText0_0_1,
            "OpenMetricsText1.0.0" => ScrapeProtocol::OpenMetricsText1_0_0,
            _ => return None,
        })
    }

    /// The media range sent in `Accept` for this protocol (no spaces, as Prometheus sends it).
    pub fn header(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::OpenMetricsText1_0_0 => "application/openmetrics-text;version=1.0.0",
        }
    }

    /// The format a response in this protocol is parsed as (used for the fallback protocol).
    pub fn format(self) -> Format {
        match self {
            ScrapeProtocol::PrometheusProto => Format::ProtobufDelimited,
            ScrapeProtocol::PrometheusText0_0_4 => Format::PrometheusText0_0_4,
            ScrapeProtocol::PrometheusText1_0_0 => Format::PrometheusText1_0_0,
            ScrapeProtocol::OpenMetricsText0_0_1 => Format::OpenMetrics0_0_1,
            ScrapeProtocol::OpenMetricsText1_0_0 => Format::OpenMetrics1_0_0,
        }
    }
}

/// The scrape `Accept` header for `protocols` in preference order, asking
/// for UTF-8 names (`escaping=allow-utf-8`, Prometheus 3's default
/// `metric_name_escaping_scheme`).
pub fn scrape_accept_header(protocols: &[ScrapeProtocol]) -> String {
    scrape_accept_header_with_escaping(protocols, EscapingScheme::AllowUtf8)
}

/// Like [`scrape_accept_header`] with an explicit escaping scheme. Only the
/// text protocols 1.0.0 carry the `escaping` parameter; weights start at
/// `q=0.6` and drop by 0.1 per protocol, and `*/*` comes last.
pub fn scrape_accept_header_with_escaping(
    protocols: &[ScrapeProtocol],
    escaping: EscapingScheme,
) -> String {
    let mut out = String::new();
    let mut weight = PROTOCOL_COUNT + 1;
    for p in protocols {
        out.push_str(p.header());
        if matches!(
            p,
            ScrapeProtocol::PrometheusText1_0_0 | ScrapeProtocol::OpenMetricsText1_0_0
        ) {
            out.push_str(";escaping=");
            out.push_str(escaping.as_str());
        }
        out.push_str(&format!(";q=0.{weight},"));
        weight = weight.saturating_sub(1);
    }
    out.push_str(&format!("*/*;q=0.{weight}"));
    out
}

/// The format of a scrape response from its `Content-Type`. A missing,
/// malformed or unsupported type is an error unless `fallback` (the
/// target's `fallback_scrape_protocol`) is given, which is then used.
pub fn scrape_format(
    content_type: Option<&str>,
    fallback: Option<Format>,
) -> Result<Format, NegotiateError> {
    let ct = content_type.map(str::trim).unwrap_or_default();
    if ct.is_empty() {
        return fallback.ok_or(NegotiateError::MissingContentType);
    }
    let Some(mt) = parse_media_range(ct).filter(|m| m.kind != "*" && m.subtype != "*") else {
        return fallback.ok_or_else(|| NegotiateError::InvalidContentType(ct.to_string()));
    };
    let full = format!("{}/{}", mt.kind, mt.subtype).to_ascii_lowercase();
    let version = mt.param("version");
    match full.as_str() {
        OM_MEDIA if version == Some("0.0.1") => Ok(Format::OpenMetrics0_0_1),
        OM_MEDIA => Ok(Format::OpenMetrics1_0_0),
        PROTO_MEDIA => Ok(Format::ProtobufDelimited),
        "text/plain" if version == Some("1.0.0") => Ok(Format::PrometheusText1_0_0),
        "text/plain" => Ok(Format::PrometheusText0_0_4),
        _ => fallback.ok_or_else(|| NegotiateError::UnsupportedContentType(ct.to_string())),
    }
}

/// A parser for a scraped `body` in `format`.
///
/// OpenMetrics bodies are read with [`OpenMetricsParser::lenient`]: like
/// Prometheus' scrape path it checks syntax and `# EOF` but not the rules
/// that span lines (family order, histogram consistency), which real client
/// libraries break (client_golang writes negative `_sum`s, for one).
/// `vigil tool check metrics` and the conformance suite use the strict parser.
///
/// [`OpenMetricsParser::lenient`]: crate::openmetrics::OpenMetricsParser::lenient
pub fn new_parser(format: Format, body: &[u8]) -> Box<dyn crate::Parser + '_> {
    match format.parser_kind() {
        ParserKind::Text => Box::new(crate::text::TextParser::new(body)),
        ParserKind::OpenMetrics => Box::new(crate::openmetrics::OpenMetricsParser::lenient(body)),
        ParserKind::Protobuf => Box::new(crate::ProtobufParser::new(body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_negotiation() {
        let n = |a: &str| negotiate(a, true);
        assert_eq!(
            n(""),
            (Format::PrometheusText0_0_4, EscapingScheme::Underscores)
        );
        assert_eq!(
            n("*/*"),
            (Format::PrometheusText0_0_4, EscapingScheme::Underscores)
        );
        assert_eq!(negotiate("*/*", false).0, Format::PrometheusText0_0_4);
        assert_eq!(n("text/*").0, Format::PrometheusText0_0_4);
        assert_eq!(
            n("*/*;q=0.9,application/openmetrics-text;version=1.0.0;q=0.1").0,
            Format::OpenMetrics1_0_0
        );
        assert_eq!(
            n("application/openmetrics-text").0,
            Format::OpenMetrics0_0_1
        );
        assert_eq!(
            n("application/openmetrics-text; version=1.0.0").0,
            Format::OpenMetrics1_0_0
        );
        assert_eq!(
            negotiate("application/openmetrics-text;version=1.0.0", false).0,
            Format::PrometheusText0_0_4
        );
        assert_eq!(n("text/plain").0, Format::PrometheusText0_0_4);
        assert_eq!(n("text/plain;version=0.0.5").0, Format::PrometheusText0_0_4);
        assert_eq!(
            n(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            ),
            (Format::ProtobufDelimited, EscapingScheme::Underscores)
        );
        // The protobuf text encoding is not offered: fall back to text.
        assert_eq!(
            n("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text").0,
            Format::PrometheusText0_0_4
        );
        let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,\
                      application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,*/*;q=0.1";
        assert_eq!(
            n(accept),
            (Format::ProtobufDelimited, EscapingScheme::Underscores)
        );
        let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.7,text/plain;q=0.2";
        assert_eq!(
            n(accept),
            (Format::OpenMetrics1_0_0, EscapingScheme::AllowUtf8)
        );
        assert_eq!(n("text/plain;escaping=values").1, EscapingScheme::Values);
        assert_eq!(
            n("text/plain;escaping=bogus").1,
            EscapingScheme::Underscores
        );
        assert_eq!(
            n("application/json;q=0.9,text/plain;q=0").0,
            Format::PrometheusText0_0_4
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(
            Format::PrometheusText0_0_4.content_type(EscapingScheme::Underscores),
            "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"
        );
        assert_eq!(
            Format::ProtobufDelimited.content_type(EscapingScheme::AllowUtf8),
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=allow-utf-8"
        );
    }

    #[test]
    fn scrape_header() {
        assert_eq!(
            scrape_accept_header(DEFAULT_PROTO_FIRST_SCRAPE_PROTOCOLS),
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,\
             application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,\
             application/openmetrics-text;version=0.0.1;q=0.4,\
             text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,\
             text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
        );
        assert_eq!(
            scrape_accept_header_with_escaping(
                &[ScrapeProtocol::PrometheusText0_0_4],
                EscapingScheme::Underscores
            ),
            "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
        );
        for p in DEFAULT_PROTO_FIRST_SCRAPE_PROTOCOLS {
            assert_eq!(ScrapeProtocol::parse(p.as_str()), Some(*p));
        }
    }

    #[test]
    fn scrape_content_type() {
        let f = |ct| scrape_format(ct, None);
        assert_eq!(
            f(Some("text/plain; version=0.0.4; charset=utf-8")),
            Ok(Format::PrometheusText0_0_4)
        );
        assert_eq!(f(Some("text/plain")), Ok(Format::PrometheusText0_0_4));
        assert_eq!(
            f(Some("text/plain; version=1.0.0; escaping=allow-utf-8")),
            Ok(Format::PrometheusText1_0_0)
        );
        assert_eq!(
            f(Some("Application/OpenMetrics-Text; version=1.0.0")),
            Ok(Format::OpenMetrics1_0_0)
        );
        assert_eq!(
            f(Some("application/openmetrics-text; version=0.0.1")),
            Ok(Format::OpenMetrics0_0_1)
        );
        assert_eq!(
            f(Some(
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            )),
            Ok(Format::ProtobufDelimited)
        );
        assert_eq!(f(None), Err(NegotiateError::MissingContentType));
        assert_eq!(f(Some("  ")), Err(NegotiateError::MissingContentType));
        assert!(matches!(
            f(Some("application/json")),
            Err(NegotiateError::UnsupportedContentType(_))
        ));
        assert!(matches!(
            f(Some("garbage")),
            Err(NegotiateError::InvalidContentType(_))
        ));
        let fb = Some(ScrapeProtocol::PrometheusText0_0_4.format());
        assert_eq!(
            scrape_format(Some("application/json"), fb),
            Ok(Format::PrometheusText0_0_4)
        );
        assert_eq!(scrape_format(None, fb), Ok(Format::PrometheusText0_0_4));
    }
}
