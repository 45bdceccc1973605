//! Matcher tests; expectations follow the behaviour Prometheus documents in
//! `model/labels/matcher_test.go` and `regexp_test.go`.

use super::syntax::to_rust_dialect;
use super::*;

fn m(kind: MatchType, name: &str, value: &str) -> Matcher {
    Matcher::new(kind, name, value).expect("valid matcher")
}

/// The plain anchored regex, without any fast path.
fn reference(pattern: &str) -> regex::Regex {
    let rust = to_rust_dialect(pattern).expect("pattern in RE2 dialect");
    regex::RegexBuilder::new(&format!("^(?:{rust})$"))
        .dot_matches_new_line(true)
        .nest_limit(super::syntax::NEST_LIMIT)
        .build()
        .expect("compiles")
}

const PATTERNS: &[&str] = &[
    "",
    "foo",
    "^foo$",
    "(foo)",
    "foo|bar|baz",
    "(foo|bar)baz",
    "a(b|c)d(e|f)",
    "(?i)foo",
    "(?i)get|post",
    "(?i)authorization|content-type|x-forwarded-for",
    "(?i)k",
    "(?i)ß",
    "(?i)straße",
    "ü|é|ñ",
    "[a-c]x",
    "[^a]",
    "a?b?c?",
    "a{2,3}",
    "ab{0,2}c",
    "foo.*",
    ".*foo",
    ".*foo.*",
    "foo.*bar",
    "foo.+bar",
    "foo.+",
    ".+foo",
    ".+foo.+",
    ".*",
    ".+",
    ".?",
    "(.*)",
    "(?s:.*)",
    "(?-s:.*)",
    "(?-s:.+)",
    "(?-s:foo.*)",
    "(?-s:.*foo.*)",
    ".*aa.*",
    ".+aa.+",
    ".{2,}",
    "foo.{2,}",
    ".*foo.*|.*bar.*",
    ".*(foo|bar).*",
    "(?i)foo.*",
    "foo(?i)bar",
    "foo[0-9]+",
    "[0-9]+",
    "\\d+",
    "\\w+",
    "\\s",
    "\\S+",
    "\\bfoo\\b",
    "a\\Bb",
    "^",
    "$",
    "^$",
    "(?m)^foo$",
    "(?m:^)foo",
    "foo$|^bar",
    "é.*",
    ".*é",
    "日本.*語",
    "x*",
    "(a|ab)(c|bcd)",
    "[\\x{0}-\\x{10FFFF}]*",
    "[^\\n]*",
    "\\n",
    "a\\nb",
    "(?U)a+",
    "a|",
    "|",
    "()",
    "(|a)",
    "[[:alpha:]]+",
    "a{",
    "{}",
    "a{ 1}",
    "a{,5}",
    "x{2}{",
    "foo{bar}.*",
    "[[:^digit:]]",
    "\\pL+",
    "\\p{Greek}",
    "\\PL",
    "foo.*.*",
    ".*.*",
    "(?:foo)+",
    "(foo|bar).*",
    ".*(foo|bar)",
    "(?i)foo.*",
    ".*(?i)foo",
    "(?i)fo.+",
    ".+(?i:ß)",
    "(?-s:(?i)foo.*)",
    ".+.+",
    ".*(?-s:.*)",
    "(?-s:.*).*",
    "(?-s:.+.+)",
    "a.+.*b",
];

const INPUTS: &[&str] = &[
    "",
    "foo",
    "FOO",
    "Foo",
    "bar",
    "baz",
    "foobaz",
    "barbaz",
    "foobar",
    "fooXbar",
    "foo\nbar",
    "foobarbaz",
    "xfoo",
    "foox",
    "xfoox",
    "\n",
    "\nfoo",
    "foo\n",
    "a",
    "aa",
    "aaa",
    "aaaa",
    "ab",
    "abc",
    "abd",
    "acd",
    "abdf",
    "acde",
    "abcd",
    "abbc",
    "ac",
    "c",
    "x",
    "ax",
    "bx",
    "dx",
    "GET",
    "get",
    "Post",
    "pOsT",
    "put",
    "Authorization",
    "CONTENT-TYPE",
    "x-forwarded-FOR",
    "k",
    "K",
    "\u{212A}",
    "ß",
    "ẞ",
    "SS",
    "straße",
    "STRASSE",
    "STRAẞE",
    "ü",
    "é",
    "ñ",
    "Ü",
    "éé",
    "ééx",
    "xé",
    "日本語",
    "日本で語",
    "日本",
    "123",
    "١٢٣",
    "a1_",
    "añ",
    "   ",
    "\t",
    "\u{b}",
    "foo bar",
    "foo-bar",
    "ab\nc",
    "a\nb",
    "abcbcd",
    "abcd",
    "xyz",
    "αβγ",
    "Ω",
    "foofoo",
    "a{",
    "{}",
    "a{ 1}",
    "a{,5}",
    "xx{",
    "foo{bar}x",
    "x{start}",
    "FOObar",
    "xFoO",
    "foO\nx",
    "x\nFOO",
];

/// Tiny deterministic generator so the property test needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn random_inputs(n: usize) -> Vec<String> {
    let alphabet = [
        'a', 'b', 'c', 'f', 'o', 'r', 'F', 'O', '\n', 'é', 'ß', 'k', '\u{212A}', '日', '1',
    ];
    let mut rng = Lcg(42);
    (0..n)
        .map(|_| {
            let len = (rng.next() % 8) as usize;
            (0..len)
                .map(|_| alphabet[(rng.next() as usize) % alphabet.len()])
                .collect()
        })
        .collect()
}

#[test]
fn fast_paths_agree_with_plain_regex() {
    let mut inputs: Vec<String> = INPUTS.iter().map(|s| s.to_string()).collect();
    inputs.extend(random_inputs(2000));
    let mut checked = 0;
    for pattern in PATTERNS {
        let fast = FastMatcher::new(pattern).expect("valid pattern");
        let plain = reference(pattern);
        let mut extra = Vec::new();
        if let Some(set) = fast.set_matches() {
            extra.extend(set.iter().cloned());
        }
        for input in inputs.iter().chain(&extra) {
            assert_eq!(
                fast.is_match(input),
                plain.is_match(input),
                "pattern {pattern:?} ({:?}) on {input:?}",
                fast
            );
            checked += 1;
        }
        if let Some(set) = fast.set_matches() {
            for s in set {
                assert!(
                    plain.is_match(s),
                    "{pattern:?}: set member {s:?} must match"
                );
            }
        }
        if let Some(p) = fast.prefix() {
            for input in &inputs {
                if plain.is_match(input) {
                    assert!(
                        input.starts_with(p),
                        "{pattern:?}: prefix {p:?} vs {input:?}"
                    );
                }
            }
        }
    }
    assert!(checked > 100_000);
}

/// Random patterns built from atoms that exercise every fast path.
fn random_pattern(rng: &mut Lcg) -> String {
    const ATOMS: &[&str] = &[
        "a",
        "b",
        "foo",
        "é",
        "日",
        "K",
        ".",
        ".*",
        ".+",
        ".?",
        "(?i)a",
        "(?i:k)",
        "(?i:ß)",
        "[ab]",
        "[^a]",
        "(a|b)",
        "(foo|bar)",
        "\\n",
        "x?",
        "(?-s:.*)",
        "(?-s:.)",
        "a{2}",
        "(a|)",
        "()",
        "^",
        "$",
        ".{2,}",
        "[a-c]+",
        "(?i)foo",
    ];
    let alternatives = 1 + rng.next() % 3;
    let mut out = Vec::new();
    for _ in 0..alternatives {
        let n = 1 + rng.next() % 4;
        out.push(
            (0..n)
                .map(|_| ATOMS[(rng.next() as usize) % ATOMS.len()])
                .collect::<String>(),
        );
    }
    out.join("|")
}

#[test]
fn random_patterns_agree_with_plain_regex() {
    let mut rng = Lcg(1234);
    let mut inputs: Vec<String> = INPUTS.iter().map(|s| s.to_string()).collect();
    inputs.extend(random_inputs(300));
    let mut optimized = 0;
    for _ in 0..1500 {
        let pattern = random_pattern(&mut rng);
        let fast = FastMatcher::new(&pattern).expect("valid pattern");
        optimized += usize::from(fast.is_optimized());
        let plain = reference(&pattern);
        let extra: Vec<String> = fast
            .set_matches()
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        for input in inputs.iter().chain(&extra) {
            assert_eq!(
                fast.is_match(input),
                plain.is_match(input),
                "pattern {pattern:?} ({fast:?}) on {input:?}"
            );
        }
    }
    // Make sure the generator actually reaches the fast paths.
    eprintln!("{optimized} of 1500 random patterns optimized");
    assert!(optimized > 250, "{optimized}");
}

#[test]
fn shapes_are_recognised() {
    let opt = |p: &str| FastMatcher::new(p).unwrap().is_optimized();
    for p in [
        "foo",
        "a|b|c",
        "(foo|bar)baz",
        "(?i)get|post",
        "foo.*",
        ".*foo",
        ".*foo.*",
        ".*",
        ".+",
        "foo.*bar",
        "foo[0-9]+",
        ".*foo.*|.*bar.*",
        "(?i)authorization|content-type",
        "(foo|bar).*",
        "(?i)foo.*",
        ".*(?i)error",
        ".*(a|b)",
        ".*.*",
        "foo.*.+",
    ] {
        assert!(opt(p), "{p:?} should take a fast path");
    }
    assert!(!opt("[0-9]+foo"));
    assert!(FastMatcher::new(".*").unwrap().matches_all());
    assert!(FastMatcher::new("(.*)").unwrap().matches_all());
    assert!(!FastMatcher::new("(?-s:.*)").unwrap().matches_all());
    assert!(FastMatcher::new(".+").unwrap().matches_non_empty());
}

#[test]
fn set_matches_and_prefix() {
    let sm = |p: &str| {
        Matcher::new(MatchType::Regexp, "a", p)
            .unwrap()
            .set_matches()
            .map(<[String]>::to_vec)
    };
    assert_eq!(sm("foo|bar|foo"), Some(vec!["foo".into(), "bar".into()]));
    assert_eq!(sm("a(b|c)"), Some(vec!["ab".into(), "ac".into()]));
    assert_eq!(sm("(?i)ab").map(|v| v.len()), Some(4));
    assert_eq!(sm("[a-c]"), Some(vec!["a".into(), "b".into(), "c".into()]));
    assert_eq!(sm("foo"), Some(vec!["foo".into()]));
    assert_eq!(sm(""), Some(vec![String::new()]));
    assert_eq!(sm("foo.*"), None);
    assert_eq!(sm("[^a]"), None);
    assert_eq!(m(MatchType::Equal, "a", "x").set_matches(), None);

    let pre = |p: &str| {
        Matcher::new(MatchType::Regexp, "a", p)
            .unwrap()
            .prefix()
            .map(str::to_owned)
    };
    assert_eq!(pre("foo.*").as_deref(), Some("foo"));
    assert_eq!(pre("foo[0-9]+").as_deref(), Some("foo"));
    assert_eq!(pre("(?i)foo.*"), None);
    assert_eq!(pre(".*foo"), None);
}

#[test]
fn matches_empty_for_absent_labels() {
    assert!(m(MatchType::Regexp, "a", ".*").matches_empty());
    assert!(m(MatchType::NotEqual, "a", "x").matches_empty());
    assert!(m(MatchType::Equal, "a", "").matches_empty());
    assert!(!m(MatchType::Equal, "a", "x").matches_empty());
    assert!(!m(MatchType::Regexp, "a", ".+").matches_empty());
    assert!(m(MatchType::NotRegexp, "a", ".+").matches_empty());
    assert!(m(MatchType::Regexp, "a", "foo|").matches_empty());
    assert!(!m(MatchType::NotRegexp, "a", "").matches_empty());
    assert!(m(MatchType::Regexp, "a", ".*").is_regex_match_all());
    assert!(m(MatchType::Regexp, "a", ".*").matches_everything());
    let never = m(MatchType::NotRegexp, "a", "[^\\x00-\\x{10FFFF}]");
    assert!(never.matches_everything() && never.matches("") && never.matches("x"));
    assert!(!m(MatchType::NotRegexp, "a", "x").matches_everything());
    assert!(!m(MatchType::NotRegexp, "a", ".*").is_regex_match_all());
    assert!(m(MatchType::Regexp, "a", ".+").is_regex_match_non_empty());
}

#[test]
fn matching_semantics() {
    let re = m(MatchType::Regexp, "a", "foo");
    assert!(re.matches("foo"));
    assert!(!re.matches("xfoo"), "regexes are anchored");
    assert!(
        m(MatchType::Regexp, "a", "f.o").matches("f\no"),
        "dot matches newline"
    );
    assert!(m(MatchType::Regexp, "a", "a|b").matches("b"));
    assert!(!m(MatchType::NotRegexp, "a", "a|b").matches("b"));
    assert!(m(MatchType::NotEqual, "a", "b").matches("c"));
    assert!(
        !m(MatchType::Regexp, "a", "\\d").matches("٣"),
        "RE2's \\d is ASCII"
    );
    assert!(
        !m(MatchType::Regexp, "a", "\\w").matches("é"),
        "RE2's \\w is ASCII"
    );
    assert!(
        !m(MatchType::Regexp, "a", "\\s").matches("\u{b}"),
        "RE2's \\s excludes \\v"
    );
    assert!(m(MatchType::Regexp, "a", "(?i)K").matches("\u{212A}"));
    // RE2 reads braces that are no repetition as literals.
    assert!(m(MatchType::Regexp, "a", "foo{bar}").matches("foo{bar}"));
    assert!(m(MatchType::Regexp, "a", "a{ 1}").matches("a{ 1}"));
    assert!(!m(MatchType::Regexp, "a", "a{ 1}").matches("a"));
    assert!(m(MatchType::Regexp, "a", "a{2}").matches("aa"));
}

#[test]
fn inverse_flips_everything() {
    for (kind, v) in [
        (MatchType::Equal, "x"),
        (MatchType::NotEqual, "x"),
        (MatchType::Regexp, "x|y"),
        (MatchType::NotRegexp, ".*"),
    ] {
        let a = m(kind, "n", v);
        let b = a.inverse();
        assert_eq!(b.kind(), kind.inverse());
        assert_eq!(b.inverse(), a);
        for s in ["", "x", "y", "z"] {
            assert_ne!(a.matches(s), b.matches(s));
        }
        assert_ne!(a.matches_empty(), b.matches_empty());
    }
}

#[test]
fn display_like_prometheus() {
    assert_eq!(m(MatchType::Equal, "a", "b").to_string(), r#"a="b""#);
    assert_eq!(m(MatchType::NotEqual, "a", "b").to_string(), r#"a!="b""#);
    assert_eq!(m(MatchType::Regexp, "a", "b.*").to_string(), r#"a=~"b.*""#);
    assert_eq!(
        m(MatchType::NotRegexp, "a", "\\d\n").to_string(),
        r#"a!~"\\d\n""#
    );
    assert_eq!(
        m(MatchType::Equal, "my.label", "v").to_string(),
        r#""my.label"="v""#
    );
    assert_eq!(m(MatchType::Equal, "", "v").to_string(), r#"""="v""#);
    assert_eq!(m(MatchType::Equal, "1a", "\"").to_string(), r#""1a"="\"""#);
    assert_eq!(m(MatchType::Equal, "ü", "v").to_string(), r#""ü"="v""#);
}

#[test]
fn bad_regex_errors_carry_pattern_and_message() {
    let err = Matcher::new(MatchType::Regexp, "a", "(foo").unwrap_err();
    let MatcherError::BadRegex { pattern, message } = &err;
    assert_eq!(pattern, "(foo");
    assert!(!message.is_empty());
    assert!(err.to_string().contains("(foo"));
    for bad in ["a{1001}", "(?x)a", "[a&&b]", "a)", "*", "a**"] {
        assert!(
            Matcher::new(MatchType::NotRegexp, "a", bad).is_err(),
            "{bad:?}"
        );
    }
    // Equality matchers never parse their value.
    assert!(Matcher::new(MatchType::Equal, "a", "(foo").is_ok());
}

#[test]
fn nesting_up_to_re2_limit() {
    let deep = format!("{}a{}", "(".repeat(900), ")".repeat(900));
    let m = Matcher::new(MatchType::Regexp, "x", deep).unwrap();
    assert!(m.matches("a") && !m.matches("b"));
    let too_deep = format!("{}a{}", "(".repeat(1100), ")".repeat(1100));
    assert!(Matcher::new(MatchType::Regexp, "x", too_deep).is_err());
}

#[test]
fn huge_or_nested_patterns_do_not_panic() {
    for p in [
        "(a|b){16}",
        "[a-z]{8}",
        "(?i)[a-z]{0,16}",
        "((((((((((a))))))))))",
        "x{1000}",
    ] {
        let f = FastMatcher::new(p).unwrap();
        let r = reference(p);
        for s in ["", "a", "abab", "x", "AbcD"] {
            assert_eq!(f.is_match(s), r.is_match(s), "{p:?} {s:?}");
        }
    }
}
