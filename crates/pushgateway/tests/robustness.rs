//! Mutated push paths, bodies and persistence files never panic the
//! library, and a refused push changes nothing but the group's failure time.

use std::path::Path;
use std::time::SystemTime;

use vigil_pushgateway::body::{BodyFormat, parse_body};
use vigil_pushgateway::grouping::parse_push_path;
use vigil_pushgateway::{PushRequest, Store, persist};

/// A small deterministic generator (no dependency needed for this).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ALPHABET: &[u8] = b"{}\"=,\\\n #/@a_Z09.+-eInfNa\x00\xff";

fn mutate(rng: &mut Lcg, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(3) {
            0 if at < out.len() => {
                out.remove(at);
            }
            1 if at < out.len() => out[at] = ALPHABET[rng.below(ALPHABET.len())],
            _ => out.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
        }
    }
    out
}

const TEXT: &str = "# HELP g A gauge.\n# TYPE g gauge\ng{x=\"1\"} 1\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\nu 1\n";

/// Every group's metrics and push time; groups that only ever failed (which
/// a refused push may create, as upstream does) are left out.
fn fingerprint(store: &Store) -> String {
    store
        .groups()
        .filter(|g| g.push_time.is_some() || !g.families.is_empty())
        .map(|g| {
            let fams: Vec<String> = g
                .families
                .values()
                .map(|f| format!("{:?}", f.to_family()))
                .collect();
            format!("{:?} {:?} {fams:?}", g.key, g.push_time)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn mutated_pushes_never_panic_and_refusals_change_nothing() {
    let mut rng = Lcg(42);
    let mut store = Store::new(true);
    let base_key = parse_push_path("/base/instance/i", false).expect("key");
    let families = parse_body(BodyFormat::Text, TEXT.as_bytes()).expect("valid");
    store
        .push(PushRequest {
            key: base_key,
            families,
            replace: true,
            time: SystemTime::now(),
        })
        .expect("first push");
    let mut proto = Vec::new();
    let fams = vigil_exposition::collect(&mut vigil_exposition::TextParser::new(TEXT.as_bytes()))
        .expect("valid");
    vigil_exposition::encode::protobuf::write(&mut proto, &fams);
    for i in 0..4000 {
        let (format, seed) = if i % 2 == 0 {
            (BodyFormat::Text, TEXT.as_bytes())
        } else {
            (BodyFormat::Protobuf, proto.as_slice())
        };
        let body = mutate(&mut rng, seed);
        let path = mutate(&mut rng, b"/job/a@base64/Zm9v/instance/i");
        let Ok(path) = String::from_utf8(path) else {
            continue;
        };
        let Ok(key) = parse_push_path(&path, i % 3 == 0) else {
            continue;
        };
        let Ok(families) = parse_body(format, &body) else {
            continue;
        };
        let before = fingerprint(&store);
        let result = store.push(PushRequest {
            key,
            families,
            replace: i % 5 != 0,
            time: SystemTime::now(),
        });
        if result.is_err() {
            assert_eq!(
                fingerprint(&store),
                before,
                "refused push {i} changed metrics"
            );
        }
    }
    assert!(store.len() > 1, "some mutated pushes were accepted");
}

#[test]
fn mutated_persistence_files_never_panic() {
    let mut rng = Lcg(7);
    let mut store = Store::new(true);
    for job in ["a", "b", "c"] {
        let key = parse_push_path(&format!("/{job}"), false).expect("key");
        let families = parse_body(BodyFormat::Text, TEXT.as_bytes()).expect("valid");
        store
            .push(PushRequest {
                key,
                families,
                replace: true,
                time: SystemTime::now(),
            })
            .expect("push");
    }
    let data = persist::encode(store.groups());
    for _ in 0..3000 {
        let damaged = mutate(&mut rng, &data);
        let loaded = persist::decode(Path::new("f"), &damaged);
        assert!(loaded.groups.len() <= 3);
    }
}
