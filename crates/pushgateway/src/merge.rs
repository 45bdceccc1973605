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

use std::collections::BTreeMap;

use prost::Message as _;
use vigil_exposition::MetricFamily;
use vigil_exposition::encode::{self, escape_families};
use vigil_exposition::negotiate::Format;
use vigil_model::EscapingScheme;

use crate::store::Store;

/// One family name's pieces, in output order.
enum Piece<'a> {
    Owned(MetricFamily),
    Stored(&'a crate::store::StoredFamily),
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
    for fam in own.into_iter().chain(store.time_families()) {
        names
            .entry(fam.name.clone())
            .or_default()
            .push(Piece::Owned(fam));
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
        Piece::Owned(fam) => f(fam),
        Piece::Stored(stored) => f(&stored.to_family()),
    }
}

fn write_text(out: &mut Vec<u8>, format: Format, pieces: &[Piece<'_>]) {
    let mut tmp = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i == 0 {
            with_family(piece, |f| encode_all(out, format, std::slice::from_ref(f)));
            continue;
        }
        tmp.clear();
        with_family(piece, |f| {
            encode::text::write(&mut tmp, std::slice::from_ref(f))
        });
        // Sample lines never start with `#`: skip the metadata lines.
        let mut start = 0;
        while tmp.get(start..).is_some_and(|rest| rest.starts_with(b"# ")) {
            match tmp[start..].iter().position(|&b| b == b'\n') {
                Some(nl) => start += nl + 1,
                None => start = tmp.len(),
            }
        }
        out.extend_from_slice(tmp.get(start..).unwrap_or_default());
    }
}

fn write_protobuf(out: &mut Vec<u8>, pieces: &[Piece<'_>]) {
    let mut merged: Option<vigil_exposition::protobuf::messages::MetricFamily> = None;
    for piece in pieces {
        let Some(msg) = with_family(piece, encode::protobuf::to_message) else {
            continue;
        };
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
            assert_eq!(streamed, gathered, "{format:?}");
        }
    }
}
