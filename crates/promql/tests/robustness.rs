//! The parser must never panic or overflow the stack, whatever the input.

use vigil_promql::parse;

/// Deterministic pseudo-random generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const PIECES: &[&str] = &[
    "foo",
    "bar:baz",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "!=",
    "=~",
    "!~",
    "\"a\"",
    "'b'",
    "`c`",
    "5m",
    "1h30m",
    "0x1f",
    "1e3",
    ".5",
    "Inf",
    "NaN",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "==",
    "<=",
    ">",
    "</",
    ">/",
    "and",
    "or",
    "unless",
    "atan2",
    "bool",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "fill",
    "fill_left",
    "fill_right",
    "by",
    "without",
    "sum",
    "topk",
    "count_values",
    "quantile",
    "limitk",
    "rate",
    "info",
    "label_replace",
    "time",
    "offset",
    "@",
    "start()",
    "end()",
    "step()",
    "range()",
    "min_of",
    "max_of",
    "anchored",
    "smoothed",
    ":",
    " ",
    "\n",
    "# c\n",
    "\"\\x4",
    "\\",
    "__name__",
    "\"a.b\"",
    "1",
    "-1",
    "0",
    "é",
    "\u{fffd}",
    "\"\\u00e9\"",
    "1_0",
    "9.5e10",
];

/// Iterations per randomized test (`VIGIL_FUZZ_ITERS` overrides).
fn iters() -> usize {
    std::env::var("VIGIL_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

fn run(input: &str) {
    // Either outcome is fine; printing must not panic either.
    if let Ok(e) = parse(input) {
        let printed = e.to_string();
        let _ = parse(&printed);
    }
}

#[test]
fn random_token_soup() {
    let seed = std::env::var("VIGIL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut rng = Rng(seed.unwrap_or(0x9e37_79b9_7f4a_7c15));
    for _ in 0..iters() {
        let n = (rng.next() % 12) as usize + 1;
        let mut q = String::new();
        for _ in 0..n {
            q.push_str(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
            if rng.next() % 3 == 0 {
                q.push(' ');
            }
        }
        run(&q);
    }
}

#[test]
fn random_bytes() {
    let mut rng = Rng(12345);
    for _ in 0..iters() {
        let n = (rng.next() % 24) as usize;
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() % 128) as u8).collect();
        if let Ok(s) = std::str::from_utf8(&bytes) {
            run(s);
        }
    }
}

#[test]
fn deep_nesting_is_rejected_not_fatal() {
    for (open, close) in [("(", ")"), ("sum(", ")"), ("-", ""), ("abs(", ")")] {
        let q = format!("{}1{}", open.repeat(5000), close.repeat(5000));
        assert!(parse(&q).is_err(), "{open}");
    }
    let q = format!("foo{}", "[5m:]".repeat(5000));
    assert!(parse(&q).is_err());
    let q = format!("foo[{}5m{}]", "(".repeat(5000), ")".repeat(5000));
    assert!(parse(&q).is_err());
    let q = vec!["a"; 5000].join(" + ");
    assert!(parse(&q).is_err());
    // Long operator chains up to the limit parse, print and check fine.
    let q = vec!["a"; 399].join(" or ");
    assert!(parse(&q).is_ok_and(|e| !e.to_string().is_empty()));
    for (open, close) in [
        ("(", ")"),
        ("-", ""),
        ("abs(", ")"),
        ("sum(rate(x[5m]) + ", ")"),
    ] {
        let q = format!("{}1{}", open.repeat(120), close.repeat(120));
        let _ = parse(&q).map(|e| e.to_string());
    }
    // Moderate nesting is fine.
    let q = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert!(parse(&q).is_ok());
}

#[test]
fn random_regex_matchers() {
    const ALPHABET: &[u8] = br"()[]{}*+?\|^$.-az09,:<>P!=_";
    let mut rng = Rng(424_242);
    for _ in 0..iters() {
        let n = (rng.next() % 10) as usize;
        let pattern: String = (0..n)
            .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize] as char)
            .collect();
        run(&format!("{{a=~`{pattern}`}}"));
    }
    assert_eq!(
        parse("foo{a=~\"(\"}").map_err(|e| e.to_string()),
        Err("1:5: parse error: error parsing regexp: missing closing ): `(`".to_string())
    );
}
