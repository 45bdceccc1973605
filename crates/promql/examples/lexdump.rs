//! Prints the tokens of each argument, one `KIND<TAB>pos<TAB>text` per line,
//! and a `---` line after each input.
fn main() {
    for q in std::env::args().skip(1) {
        for t in vigil_promql::lex::lex(&q) {
            let text = match &t.message {
                Some(m) => m.clone(),
                None => q[t.start..t.end].to_string(),
            };
            println!("{:?}\t{}\t{:?}", t.kind, t.start, text);
        }
        println!("---");
    }
}
