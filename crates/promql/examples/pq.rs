//! Parses each argument and prints the canonical form or the error.
fn main() {
    for q in std::env::args().skip(1) {
        match vigil_promql::parse(&q) {
            Ok(e) => println!("OK  {e}"),
            Err(e) => println!("ERR {e}"),
        }
    }
}
