//! Applying relabeling rules to a label set.
//!
//! `metric_relabel_configs` run once per scraped series, so the common case
//! (only `keep`/`drop`/`keepequal`/`dropequal` rules over one source label)
//! reads the input [`Labels`] directly and allocates nothing; a builder is
//! made only when a rule changes a label.

use std::borrow::Cow;

use md5::{Digest, Md5};
use vigil_model::names::is_valid_label_name;
use vigil_model::{Labels, LabelsBuilder};

use super::expand::{expand, expand_groups};
use super::{Action, RelabelConfig};

/// The labels being relabeled: untouched input, a builder with changes, or
/// the caller's builder changed in place.
enum State<'a> {
    Input(&'a Labels),
    Changed(LabelsBuilder),
    InPlace(&'a mut LabelsBuilder),
}

impl State<'_> {
    fn get(&self, name: &str) -> &str {
        match self {
            State::Input(l) => l.get(name).unwrap_or(""),
            State::Changed(b) => b.get(name).unwrap_or(""),
            State::InPlace(b) => b.get(name).unwrap_or(""),
        }
    }

    fn builder(&mut self) -> &mut LabelsBuilder {
        if let State::Input(l) = self {
            *self = State::Changed(l.to_builder());
        }
        match self {
            State::Changed(b) => b,
            State::InPlace(b) => b,
            State::Input(_) => unreachable!("converted to Changed above"),
        }
    }

    /// The current label set, for rules that walk every label.
    fn snapshot(&mut self) -> Labels {
        match self {
            State::Input(l) => (*l).clone(),
            State::Changed(b) => b.build(),
            State::InPlace(b) => b.build(),
        }
    }
}

/// Applies `cfgs` in order. Returns `None` if a rule drops the series,
/// otherwise the resulting labels (borrowed when no rule changed them).
pub fn process_cow<'a>(labels: &'a Labels, cfgs: &[RelabelConfig]) -> Option<Cow<'a, Labels>> {
    let mut state = State::Input(labels);
    let mut joined = String::new();
    for cfg in cfgs {
        if !apply(cfg, &mut state, &mut joined) {
            return None;
        }
    }
    Some(match state {
        State::Input(l) => Cow::Borrowed(l),
        State::Changed(mut b) => Cow::Owned(b.build()),
        State::InPlace(b) => Cow::Owned(b.build()),
    })
}

/// Applies `cfgs` to the labels in `builder`, changing it in place (how
/// target relabeling works on the labels a scrape pool assembles). Returns
/// `false` if a rule drops the target; the builder is then left part-way.
pub fn process_builder(builder: &mut LabelsBuilder, cfgs: &[RelabelConfig]) -> bool {
    let mut state = State::InPlace(builder);
    let mut joined = String::new();
    cfgs.iter().all(|cfg| apply(cfg, &mut state, &mut joined))
}

/// Applies `cfgs` in order and returns the resulting labels, or `None` if a
/// rule drops the series.
pub fn process(labels: &Labels, cfgs: &[RelabelConfig]) -> Option<Labels> {
    process_cow(labels, cfgs).map(Cow::into_owned)
}

/// The source values joined with the separator. One source label is
/// returned as a borrowed value to avoid copying.
fn source_value<'s>(cfg: &RelabelConfig, state: &'s State<'_>, buf: &'s mut String) -> &'s str {
    match cfg.source_labels.as_slice() {
        [] => "",
        [one] => state.get(one),
        many => {
            buf.clear();
            for (i, name) in many.iter().enumerate() {
                if i > 0 {
                    buf.push_str(&cfg.separator);
                }
                buf.push_str(state.get(name));
            }
            buf.as_str()
        }
    }
}

fn apply(cfg: &RelabelConfig, state: &mut State<'_>, buf: &mut String) -> bool {
    let Some(action) = cfg.action else {
        // Validation refuses rules without an action; an unvalidated one is
        // treated as a no-op rather than a panic.
        return true;
    };
    match action {
        Action::Drop => !cfg.regex.is_match(source_value(cfg, state, buf)),
        Action::Keep => cfg.regex.is_match(source_value(cfg, state, buf)),
        Action::DropEqual => {
            let v = source_value(cfg, state, buf);
            state.get(&cfg.target_label) != v
        }
        Action::KeepEqual => {
            let v = source_value(cfg, state, buf);
            state.get(&cfg.target_label) == v
        }
        Action::Replace => {
            let v = source_value(cfg, state, buf).to_owned();
            replace(cfg, state, &v);
            true
        }
        Action::Lowercase => {
            let v = source_value(cfg, state, buf).to_lowercase();
            state.builder().set(&cfg.target_label, &v);
            true
        }
        Action::Uppercase => {
            let v = source_value(cfg, state, buf).to_uppercase();
            state.builder().set(&cfg.target_label, &v);
            true
        }
        Action::HashMod => {
            let v = source_value(cfg, state, buf);
            let m = hashmod(v, cfg.modulus).to_string();
            state.builder().set(&cfg.target_label, &m);
            true
        }
        Action::LabelMap => {
            let current = state.snapshot();
            for l in current.iter() {
                if cfg.regex.is_match(l.name) {
                    let mut name = String::new();
                    expand_match(cfg, l.name, &cfg.replacement, &mut name);
                    state.builder().set(&name, l.value);
                }
            }
            true
        }
        Action::LabelDrop | Action::LabelKeep => {
            let keep_matching = action == Action::LabelKeep;
            // Most series have nothing to remove: check before copying.
            if let State::Input(l) = state {
                if l.iter()
                    .all(|x| cfg.regex.is_match(x.name) == keep_matching)
                {
                    return true;
                }
            }
            let current = state.snapshot();
            for l in current.iter() {
                if cfg.regex.is_match(l.name) != keep_matching {
                    state.builder().del(l.name);
                }
            }
            true
        }
    }
}

/// Expands `template` against the regex's match on `input`, which is known
/// to match.
fn expand_match(cfg: &RelabelConfig, input: &str, template: &str, out: &mut String) {
    // `(.*)`, the default, captures the whole input as group 1: no need to
    // run a capturing regex (the most common replace rule on the scrape path).
    if cfg.regex.as_str() == super::DEFAULT_REGEX {
        return expand_groups(out, template, &[input, input]);
    }
    match cfg
        .regex
        .captures_regex()
        .and_then(|re| re.captures(input).map(|c| (re, c)))
    {
        Some((re, caps)) => expand(out, template, re, &caps),
        None => expand_groups(out, template, &[input]),
    }
}

fn replace(cfg: &RelabelConfig, state: &mut State<'_>, val: &str) {
    // Prometheus' shortcut: an empty value with the default regex and no
    // references sets the target to the literal replacement.
    if val.is_empty()
        && cfg.regex.is_implicit_default()
        && !cfg.target_label.contains('$')
        && !cfg.replacement.contains('$')
    {
        state.builder().set(&cfg.target_label, &cfg.replacement);
        return;
    }
    if !cfg.regex.is_match(val) {
        return;
    }
    let mut target = String::new();
    expand_match(cfg, val, &cfg.target_label, &mut target);
    if !is_valid_label_name(&target, cfg.name_validation_scheme) {
        return;
    }
    let mut res = String::new();
    expand_match(cfg, val, &cfg.replacement, &mut res);
    if res.is_empty() {
        state.builder().del(&target);
    } else {
        state.builder().set(&target, &res);
    }
}

/// Prometheus' `hashmod`: the last 8 bytes of the value's MD5 sum read as a
/// big-endian integer, modulo `modulus`, so targets shard exactly as they do
/// in Prometheus.
pub fn hashmod(value: &str, modulus: u64) -> u64 {
    let sum = Md5::digest(value.as_bytes());
    let mut tail = [0u8; 8];
    tail.copy_from_slice(sum.get(8..16).unwrap_or(&[0; 8]));
    u64::from_be_bytes(tail).checked_rem(modulus).unwrap_or(0)
}
