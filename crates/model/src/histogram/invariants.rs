//! Property-style checks over pseudo-random histograms: resolution reduction
//! and addition must conserve observations, and every original bucket must
//! lie inside the coarser bucket it is merged into.

use super::*;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn random_side(rng: &mut Lcg) -> (Vec<Span>, Vec<f64>) {
    let mut spans = Vec::new();
    let mut buckets = Vec::new();
    for i in 0..rng.next(4) {
        let offset = if i == 0 {
            rng.next(40) as i32 - 20
        } else {
            rng.next(5) as i32
        };
        let length = rng.next(5) as u32;
        spans.push(Span { offset, length });
        buckets.extend((0..length).map(|_| rng.next(10) as f64));
    }
    (spans, buckets)
}

fn random_hist(rng: &mut Lcg) -> FloatHistogram {
    let (positive_spans, positive_buckets) = random_side(rng);
    let (negative_spans, negative_buckets) = random_side(rng);
    let zero_count = rng.next(5) as f64;
    let total =
        zero_count + positive_buckets.iter().sum::<f64>() + negative_buckets.iter().sum::<f64>();
    let mut h = FloatHistogram {
        schema: rng.next(13) as i32 - 4,
        zero_threshold: [0.0, 1e-3, 0.01, 0.3][rng.next(4) as usize],
        zero_count,
        count: total,
        sum: 1.0,
        positive_spans,
        positive_buckets,
        negative_spans,
        negative_buckets,
        ..FloatHistogram::default()
    };
    // Like Prometheus, addition assumes no bucket lies inside the zero
    // bucket (such buckets of the second operand are dropped), so keep the
    // zero bucket below the lowest bucket.
    let lowest = h
        .positive_buckets()
        .map(|b| b.lower)
        .chain(h.negative_buckets().map(|b| -b.upper))
        .fold(f64::INFINITY, f64::min);
    h.zero_threshold = h.zero_threshold.min(lowest);
    h
}

fn observations(h: &FloatHistogram) -> f64 {
    h.zero_count + h.positive_buckets.iter().sum::<f64>() + h.negative_buckets.iter().sum::<f64>()
}

#[test]
fn reduce_resolution_conserves_and_contains() {
    let mut rng = Lcg(7);
    for _ in 0..500 {
        let h = random_hist(&mut rng);
        h.validate().unwrap();
        for target in -4..h.schema {
            let mut r = h.clone();
            r.reduce_resolution(target).unwrap();
            r.validate().unwrap();
            assert_eq!(observations(&r), observations(&h));
            for (orig, coarse) in [
                (
                    h.positive_buckets().collect::<Vec<_>>(),
                    r.positive_buckets().collect::<Vec<_>>(),
                ),
                (
                    h.negative_buckets().collect(),
                    r.negative_buckets().collect(),
                ),
            ] {
                for b in orig {
                    let c = coarse
                        .iter()
                        .find(|c| c.lower <= b.lower && b.upper <= c.upper)
                        .unwrap_or_else(|| panic!("{b:?} not inside any of {coarse:?}"));
                    assert!(c.count >= b.count);
                }
            }
        }
    }
}

#[test]
fn add_conserves_observations() {
    let mut rng = Lcg(11);
    for _ in 0..500 {
        let a = random_hist(&mut rng);
        let b = random_hist(&mut rng);
        let mut r = a.clone();
        r.add(&b).unwrap();
        r.validate().unwrap();
        assert_eq!(r.schema, a.schema.min(b.schema));
        assert!(r.zero_threshold >= a.zero_threshold.max(b.zero_threshold));
        assert_eq!(
            observations(&r),
            observations(&a) + observations(&b),
            "{a:?} + {b:?} = {r:?}"
        );
        assert_eq!(r.count, a.count + b.count);
        // Adding is symmetric up to bucket layout.
        let mut s = b.clone();
        s.add(&a).unwrap();
        r.compact(0);
        s.compact(0);
        assert!(r.equals(&s), "{a:?}\n{b:?}\n{r:?} vs {s:?}");
        // Subtracting what was added leaves no negative observations.
        let mut d = r.clone();
        d.sub(&b).unwrap();
        assert_eq!(observations(&d), observations(&a));
        assert!(!r.detect_reset(&a) || r.zero_threshold > a.zero_threshold || r.schema < a.schema);
    }
}
