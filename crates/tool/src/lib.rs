//! `vigil tool`: the operator utilities promtool provides, as a library the
//! `vigil` binary calls into.
