//! Push bodies: which format a body is in and how it becomes metric families.
//!
//! Like the Pushgateway, a body is delimited protobuf when its
//! `Content-Type` is `application/vnd.google.protobuf` with
//! `proto=io.prometheus.client.MetricFamily` and `encoding=delimited`, and
//! the text format 0.0.4 otherwise (so an OpenMetrics body is read as text,
//! where `# EOF` is a comment). The result has one family per name, sorted
//! by name:
//! - text: families are grouped with 0.0.4 rules (a counter's samples carry
//!   exactly its name; a summary adds `_sum`/`_count`, a histogram
//!   `_bucket`/`_sum`/`_count`); other samples form untyped families of their
//!   own name, and samples of a name seen earlier join that family. A name
//!   declared with two different types is an error.
//! - protobuf: a later family of the same name replaces an earlier one.
//!
//! Families without samples are dropped: they add nothing to `/metrics`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;

use vigil_exposition::{MetricFamily, ProtobufParser, TextParser, collect};
use vigil_model::MetricType;

use crate::error::PushError;

/// The format of a push body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// Prometheus text format 0.0.4 (the fallback for any other type).
    Text,
    /// Length-delimited `io.prometheus.client.MetricFamily` messages.
    Protobuf,
}

/// Picks the body format from a `Content-Type` header value.
pub fn body_format(content_type: Option<&str>) -> BodyFormat {
    let Some(ct) = content_type else {
        return BodyFormat::Text;
    };
    let mut parts = ct.split(';');
    let media = parts.next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("application/vnd.google.protobuf") {
        return BodyFormat::Text;
    }
    let (mut proto, mut delimited) = (false, false);
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"');
        match k.trim().to_ascii_lowercase().as_str() {
            "proto" => proto = v == "io.prometheus.client.MetricFamily",
            "encoding" => delimited = v == "delimited",
            _ => {}
        }
    }
    if proto && delimited {
        BodyFormat::Protobuf
    } else {
        BodyFormat::Text
    }
}

/// Undoes a push's `Content-Encoding`, as the Pushgateway does: `gzip`,
/// `snappy` (the framed format of Go's `snappy.NewReader`), and anything
/// else passed through untouched. Output over `limit` bytes is refused, so a
/// small compressed body cannot expand without bound.
pub fn decode_content<'a>(
    encoding: Option<&str>,
    body: &'a [u8],
    limit: usize,
) -> Result<Cow<'a, [u8]>, PushError> {
    let encoding = encoding.map(str::to_ascii_lowercase);
    let mut reader: Box<dyn Read + 'a> = match encoding.as_deref() {
        Some("gzip") => Box::new(flate2::read::MultiGzDecoder::new(body)),
        Some("snappy") => Box::new(snap::read::FrameDecoder::new(body)),
        _ => return Ok(Cow::Borrowed(body)),
    };
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    (&mut reader)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| PushError::Body(e.to_string()))?;
    if out.len() > limit {
        return Err(PushError::TooLarge(limit));
    }
    Ok(Cow::Owned(out))
}

/// Parses a push body into families keyed by name.
pub fn parse_body(
    format: BodyFormat,
    body: &[u8],
) -> Result<BTreeMap<String, MetricFamily>, PushError> {
    match format {
        BodyFormat::Text => {
            check_go_text_rules(body)?;
            let mut parser = TextParser::new(body);
            let families = collect(&mut parser)
                .map_err(|e| PushError::Body(format!("text format parsing error: {e}")))?;
            merge_text(families)
        }
        BodyFormat::Protobuf => {
            let mut parser = ProtobufParser::new(body).with_classic_histograms(true);
            let families = collect(&mut parser)
                .map_err(|e| PushError::Body(format!("protobuf parsing error: {e}")))?;
            let mut out = BTreeMap::new();
            for fam in families.into_iter().filter(|f| !f.samples.is_empty()) {
                out.insert(fam.name.clone(), fam);
            }
            Ok(out)
        }
    }
}

/// Refuses what the Go text parser refuses and Prometheus' lenient scrape
/// parser lets through: a NUL where a line starts (the scrape parser takes
/// it as the end of input), and escape sequences other than, in label values, `\\`, `\"`
/// and `\n`, in `# HELP` text only `\\` and `\n`.
fn check_go_text_rules(body: &[u8]) -> Result<(), PushError> {
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.first() == Some(&0) {
            return Err(PushError::Body(format!(
                "text format parsing error in line {}: invalid metric name",
                i + 1
            )));
        }
        let (allowed, start): (&[u8], usize) = if line.starts_with(b"# HELP ") {
            (b"\\n", 7)
        } else if line.starts_with(b"#") {
            continue;
        } else {
            (b"\\\"n", 0)
        };
        let mut quoted = start > 0;
        let mut j = start;
        while let Some(&c) = line.get(j) {
            match c {
                b'"' if start == 0 => quoted = !quoted,
                b'\\' if quoted => {
                    let next = line.get(j + 1).copied().unwrap_or(b' ');
                    if !allowed.contains(&next) {
                        return Err(PushError::Body(format!(
                            "text format parsing error in line {}: invalid escape sequence '\\{}'",
                            i + 1,
                            char::from(next)
                        )));
                    }
                    j += 1;
                }
                _ => {}
            }
            j += 1;
        }
    }
    Ok(())
}

/// Whether a sample named `metric` belongs to family `family` of type
/// `kind` under the text format 0.0.4's rules.
fn belongs_text(family: &str, kind: MetricType, metric: &str) -> bool {
    let suffixes: &[&str] = match kind {
        MetricType::Summary => &["_sum", "_count"],
        MetricType::Histogram | MetricType::GaugeHistogram => &["_bucket", "_sum", "_count"],
        _ => &[],
    };
    match metric.strip_prefix(family) {
        Some("") => true,
        Some(rest) => suffixes.contains(&rest),
        None => false,
    }
}

fn merge_text(families: Vec<MetricFamily>) -> Result<BTreeMap<String, MetricFamily>, PushError> {
    let mut out: BTreeMap<String, MetricFamily> = BTreeMap::new();
    // `collect` groups with OpenMetrics-aware rules; split off samples that
    // the text format 0.0.4 gives a family of their own.
    let mut split = Vec::with_capacity(families.len());
    for mut fam in families {
        let (own, other): (Vec<_>, Vec<_>) = std::mem::take(&mut fam.samples)
            .into_iter()
            .partition(|s| belongs_text(&fam.name, fam.kind, s.labels.metric_name().unwrap_or("")));
        fam.samples = own;
        split.push(fam);
        for s in other {
            let name = s.labels.metric_name().unwrap_or_default().to_string();
            split.push(MetricFamily {
                name,
                samples: vec![s],
                ..MetricFamily::default()
            });
        }
    }
    for fam in split {
        match out.get_mut(&fam.name) {
            None => {
                out.insert(fam.name.clone(), fam);
            }
            Some(existing) => {
                let declared = fam.kind != MetricType::Unknown || fam.help.is_some();
                if declared && (existing.kind != fam.kind || !existing.samples.is_empty()) {
                    return Err(PushError::Body(format!(
                        "text format parsing error: second TYPE or HELP line for metric name {:?}, or it comes after samples",
                        fam.name
                    )));
                }
                if existing.help.is_none() {
                    existing.help = fam.help;
                }
                existing.samples.extend(fam.samples);
            }
        }
    }
    out.retain(|_, f| !f.samples.is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(body_format(None), BodyFormat::Text);
        assert_eq!(
            body_format(Some(
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            )),
            BodyFormat::Protobuf
        );
        assert_eq!(
            body_format(Some("application/vnd.google.protobuf; encoding=delimited")),
            BodyFormat::Text
        );
    }

    #[test]
    fn text_grouping_follows_0_0_4() {
        let body = b"# TYPE c counter\nc_total 1\n# TYPE s summary\ns_sum 1\ns_count 2\ns_created 3\nu 1\nu{a=\"b\"} 2\n";
        let fams = parse_body(BodyFormat::Text, body).unwrap();
        let names: Vec<_> = fams.keys().cloned().collect();
        assert_eq!(names, ["c_total", "s", "s_created", "u"]);
        assert_eq!(fams["c_total"].kind, MetricType::Unknown);
        assert_eq!(fams["s"].samples.len(), 2);
        assert_eq!(fams["u"].samples.len(), 2);
    }

    #[test]
    fn content_encodings() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"g 1\n").unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(&*decode_content(Some("gzip"), &gz, 100).unwrap(), b"g 1\n");
        assert!(matches!(
            decode_content(Some("gzip"), &gz, 2),
            Err(PushError::TooLarge(2))
        ));
        assert!(decode_content(Some("gzip"), b"xx", 100).is_err());
        let mut sn = snap::write::FrameEncoder::new(Vec::new());
        sn.write_all(b"g 2\n").unwrap();
        let sn = sn.into_inner().unwrap();
        assert_eq!(
            &*decode_content(Some("snappy"), &sn, 100).unwrap(),
            b"g 2\n"
        );
        assert_eq!(&*decode_content(Some("br"), b"raw", 100).unwrap(), b"raw");
    }

    #[test]
    fn escapes_follow_the_go_parser() {
        assert!(parse_body(BodyFormat::Text, b"g{x=\"\\q\"} 1\n").is_err());
        assert!(parse_body(BodyFormat::Text, b"# HELP g a \\\" b\ng 1\n").is_err());
        assert!(
            parse_body(
                BodyFormat::Text,
                b"# HELP g a \\\\ \\n\ng{x=\"\\\"\\n\\\\\"} 1\n"
            )
            .is_ok()
        );
    }

    #[test]
    fn second_type_line_is_an_error() {
        let body = b"# TYPE a gauge\na 1\n# TYPE a counter\na 2\n";
        assert!(parse_body(BodyFormat::Text, body).is_err());
    }
}
