//! Drives a parser over untrusted bytes the way a scrape would, checking the
//! invariants every parser promises. Shared by the `cargo fuzz` targets and
//! the test that replays their corpus in CI.

use vigil_model::{Exemplar, LabelsBuilder};

use crate::error::{ParseError, Position};
use crate::parser::{Entry, Parser};

/// Runs `parser` (built over `data`) to the end, touching every accessor.
/// Panics if an invariant breaks: an error must point inside the input, and
/// a parser must stop after a bounded number of entries. Returns the error
/// that ended parsing, if any.
pub fn check_parser<P: Parser + ?Sized>(data: &[u8], parser: &mut P) -> Option<ParseError> {
    let mut builder = LabelsBuilder::new();
    let mut exemplar = Exemplar::default();
    // A parser that keeps yielding entries without consuming input would
    // loop forever; no real body has more entries than bytes plus one.
    let mut budget = data.len() + 16;
    loop {
        let entry = match parser.next() {
            Ok(Some(e)) => e,
            Ok(None) => return None,
            Err(err) => {
                assert_in_bounds(data, &err);
                return Some(err);
            }
        };
        budget = budget
            .checked_sub(1)
            .unwrap_or_else(|| panic!("parser did not terminate"));
        match entry {
            Entry::Type => {
                let _ = parser.metric_type();
            }
            Entry::Help => {
                let _ = parser.help();
            }
            Entry::Unit => {
                let _ = parser.unit();
            }
            Entry::Comment => {}
            Entry::Series | Entry::Histogram => {
                if entry == Entry::Series {
                    let _ = parser.series();
                } else {
                    let (_, _, h, fh) = parser.histogram();
                    assert!(
                        h.is_some() || fh.is_some(),
                        "histogram entry without a histogram"
                    );
                }
                parser.labels(&mut builder);
                let labels = builder.build();
                assert!(
                    labels.metric_name().is_some(),
                    "series without a metric name"
                );
                let _ = parser.created_timestamp();
                let mut n = 0;
                while parser.exemplar(&mut exemplar) {
                    n += 1;
                    assert!(n <= data.len() + 1, "exemplar iteration did not terminate");
                }
            }
        }
    }
}

fn assert_in_bounds(data: &[u8], err: &ParseError) {
    match err.position {
        Position::LineColumn { line, column } => {
            let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
            assert!(
                line >= 1 && line <= lines + 1,
                "error line {line} outside input of {lines} lines: {err}"
            );
            assert!(
                column >= 1 && column <= data.len() + 2,
                "error column {column} out of range: {err}"
            );
        }
        Position::Offset(o) => {
            assert!(
                o <= data.len(),
                "error offset {o} past input end {}: {err}",
                data.len()
            );
        }
    }
}
