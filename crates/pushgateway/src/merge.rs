//! The merged exposition `/metrics` serves: the gateway's own families,
//! then every group's families, merged by name and sorted by name.
//!
//! It is written family by family straight from the store, one group's
//! piece at a time, instead of first gathering a merged copy of everything:
//! with 100k stored series a full copy (and a second one for name escaping)
//! doubled the gateway's memory at every scrape. For the text format, a
//! piece after the first is written without its `# HELP`/`# TYPE` lines; for
//! protobuf the pieces' `Metric` messages are joined into one
//! `MetricFamily` message. The first piece's metadata wins; the gateway's
//! own families come first, so its help strings win as upstream's do.
//!
//! Pushed samples without an `instance` label are written with
//! `instance=""`, as the Pushgateway writes them: Prometheus then keeps the
//! series without an instance under `honor_labels: true` instead of
//! attaching the gateway's own address to it.

use std::collections::BTreeMap;

use prost::Message as _;
use vigil_exposition::MetricFamily;
use vigil_exposition::encode::{self, escape_families};
use vigil_exposition::negotiate::Format;
use vigil_exposition::protobuf::messages as pb;
use vigil_model::EscapingScheme;

use crate::store::Store;

/// One family name's pieces, in output order.
enum Piece<'a> {
    /// The gateway's own metrics (`false`) or the push-time gauges (`true`).
    Owned(MetricFamily, bool),
    Stored(&'a crate::store::StoredFamily),
}

impl Piece<'_> {
    /// Whether the piece holds pushed samples (which get `instance=""`).
    fn pushed(&self) -> bool {
        matches!(self, Piece::Owned(_, true) | Piece::Stored(_))
    }
}

/// Writes the merged exposition of `own` (the gateway's own families) and
/// `store` in `format`, escaping names for `escaping`. `legacy_names` says
/// every stored name is already a legacy name (the consistency check
/// guarantees it), so escaping can be skipped without copying anything.
pub fn write(
    out: &mut Vec<u8>,
    format: Format,
    escaping: EscapingScheme,
    legacy_names: bool,
    own: Vec<MetricFamily>,
    store: &Store,
) {
    if escaping != EscapingScheme::AllowUtf8 && !legacy_names {
        // Rare path (consistency check off): copy, escape, encode.
        let mut all: BTreeMap<String, MetricFamily> =
            own.into_iter().map(|f| (f.name.clone(), f)).collect();
        for fam in store.gather() {
            match all.get_mut(&fam.name) {
                Some(f) => f.samples.extend(fam.samples),
                None => {
                    all.insert(fam.name.clone(), fam);
                }
            }
        }
        let all: Vec<MetricFamily> = all.into_values().collect();
        encode_all(out, format, &escape_families(&all, escaping));
        return;
    }
    let mut names: BTreeMap<String, Vec<Piece<'_>>> = BTreeMap::new();
    let own = own.into_iter().map(|f| (f, false));
    for (fam, pushed) in own.chain(store.time_families().into_iter().map(|f| (f, true))) {
        names
            .entry(fam.name.clone())
            .or_default()
            .push(Piece::Owned(fam, pushed));
    }
    for group in store.groups() {
        for (name, stored) in &group.families {
            names
                .entry(name.clone())
                .or_default()
                .push(Piece::Stored(stored));
        }
    }
    for pieces in names.values() {
        match format {
            Format::ProtobufDelimited => write_protobuf(out, pieces),
            _ => write_text(out, format, pieces),
        }
    }
}

fn encode_all(out: &mut Vec<u8>, format: Format, families: &[MetricFamily]) {
    match format {
        Format::ProtobufDelimited => encode::protobuf::write(out, families),
        Format::OpenMetrics0_0_1 | Format::OpenMetrics1_0_0 => {
            encode::openmetrics::write(out, families);
        }
        Format::PrometheusText0_0_4 | Format::PrometheusText1_0_0 => {
            encode::text::write(out, families);
        }
    }
}

fn with_family<T>(piece: &Piece<'_>, f: impl FnOnce(&MetricFamily) -> T) -> T {
    match piece {
        Piece::Owned(fam, _) => f(fam),
        Piece::Stored(stored) => f(&stored.to_family()),
    }
}

fn write_text(out: &mut Vec<u8>, format: Format, pieces: &[Piece<'_>]) {
    let mut tmp = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        tmp.clear();
        if i == 0 {
            with_family(piece, |f| {
                encode_all(&mut tmp, format, std::slice::from_ref(f))
            });
        } else {
            with_family(piece, |f| {
                encode::text::write(&mut tmp, std::slice::from_ref(f))
            });
        }
        for line in tmp.split_inclusive(|&b| b == b'\n') {
            // Sample lines never start with `#`; metadata only from the first piece.
            if line.starts_with(b"#") {
                if i == 0 {
                    out.extend_from_slice(line);
                }
            } else if piece.pushed() {
                write_with_instance(out, line);
            } else {
                out.extend_from_slice(line);
            }
        }
    }
}

/// Copies a text sample line, adding `instance=""` when it has no
/// `instance` label. Names are legacy names here (no quoted names); label
/// values are quoted with `\\` and `\"` escapes.
fn write_with_instance(out: &mut Vec<u8>, line: &[u8]) {
    let name_end = line
        .iter()
        .position(|&b| b == b'{' || b == b' ')
        .unwrap_or(line.len());
    if line.get(name_end) != Some(&b'{') {
        out.extend_from_slice(&line[..name_end]);
        out.extend_from_slice(b"{instance=\"\"}");
        out.extend_from_slice(&line[name_end..]);
        return;
    }
    // Walk `name="value",...}` pairs looking for `instance`.
    let mut i = name_end + 1;
    let mut has_instance = false;
    while let Some(&c) = line.get(i) {
        if c == b'}' {
            break;
        }
        let eq = line[i..]
            .iter()
            .position(|&b| b == b'=')
            .map_or(line.len(), |p| i + p);
        if line.get(i..eq) == Some(&b"instance"[..]) {
            has_instance = true;
            break;
        }
        // Skip `="value"` honouring escapes, then an optional comma.
        i = eq + 2;
        while let Some(&v) = line.get(i) {
            i += 1;
            match v {
                b'\\' => i += 1,
                b'"' => break,
                _ => {}
            }
        }
        if line.get(i) == Some(&b',') {
            i += 1;
        }
    }
    if has_instance {
        out.extend_from_slice(line);
    } else {
        out.extend_from_slice(&line[..=name_end]);
        out.extend_from_slice(b"instance=\"\",");
        out.extend_from_slice(&line[name_end + 1..]);
    }
}

fn write_protobuf(out: &mut Vec<u8>, pieces: &[Piece<'_>]) {
    let mut merged: Option<pb::MetricFamily> = None;
    for piece in pieces {
        let Some(mut msg) = with_family(piece, encode::protobuf::to_message) else {
            continue;
        };
        if piece.pushed() {
            for m in &mut msg.metric {
                if !m
                    .label
                    .iter()
                    .any(|l| l.name.as_deref() == Some("instance"))
                {
                    m.label.push(pb::LabelPair {
                        name: Some("instance".to_string()),
                        value: Some(String::new()),
                    });
                    m.label.sort_by(|a, b| a.name.cmp(&b.name));
                }
            }
        }
        match merged.as_mut() {
            Some(m) => m.metric.extend(msg.metric),
            None => merged = Some(msg),
        }
    }
    if let Some(m) = merged {
        out.extend_from_slice(&m.encode_length_delimited_to_vec());
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::body::{BodyFormat, parse_body};
    use crate::grouping::GroupingKey;
    use crate::store::PushRequest;

    #[test]
    fn streamed_output_equals_gathered_output() {
        let mut store = Store::new(true);
        for (job, body) in [
            (
                "a",
                "# HELP g G.\n# TYPE g gauge\ng{x=\"1\"} 1\n# TYPE s summary\ns_sum 1\ns_count 2\n",
            ),
            ("b", "# HELP g Other.\n# TYPE g gauge\ng{x=\"2\"} 2\nu 3\n"),
        ] {
            store
                .push(PushRequest {
                    key: GroupingKey::from_pairs([("job", job)]),
                    families: parse_body(BodyFormat::Text, body.as_bytes()).unwrap(),
                    replace: true,
                    time: SystemTime::now(),
                })
                .unwrap();
        }
        for format in [Format::PrometheusText0_0_4, Format::ProtobufDelimited] {
            let mut streamed = Vec::new();
            write(
                &mut streamed,
                format,
                EscapingScheme::Underscores,
                true,
                Vec::new(),
                &store,
            );
            let mut gathered = Vec::new();
            encode_all(&mut gathered, format, &store.gather());
            if format == Format::PrometheusText0_0_4 {
                let text = String::from_utf8(streamed).unwrap();
                assert!(
                    text.contains("g{instance=\"\",job=\"a\",x=\"1\"} 1\n"),
                    "{text}"
                );
                assert!(
                    text.contains("s_sum{instance=\"\",job=\"a\"} 1\n"),
                    "{text}"
                );
                streamed = text
                    .replace("{instance=\"\"}", "")
                    .replace("instance=\"\",", "")
                    .into_bytes();
            } else {
                let fams = vigil_exposition::collect(&mut vigil_exposition::ProtobufParser::new(
                    &streamed,
                ))
                .unwrap();
                assert_eq!(
                    fams,
                    vigil_exposition::collect(&mut vigil_exposition::ProtobufParser::new(
                        &gathered
                    ))
                    .unwrap()
                );
                continue;
            }
            assert_eq!(streamed, gathered, "{format:?}");
        }
    }

    #[test]
    fn instance_is_added_only_when_missing() {
        let mut out = Vec::new();
        write_with_instance(&mut out, b"a 1\n");
        write_with_instance(&mut out, b"a{x=\"instance=\\\"q\\\\\"} 1\n");
        write_with_instance(&mut out, b"a{instance=\"i\",x=\"y\"} 1\n");
        write_with_instance(&mut out, b"a{x=\"y\",instance=\"i\"} 1\n");
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "a{instance=\"\"} 1\na{instance=\"\",x=\"instance=\\\"q\\\\\"} 1\na{instance=\"i\",x=\"y\"} 1\na{x=\"y\",instance=\"i\"} 1\n"
        );
    }
}
