//! Prints a configuration file as Vigil loads it, secrets masked
//! (`cargo run -p vigil-config --example print_config -- prometheus.yml`).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: print_config <prometheus.yml>");
        std::process::exit(2);
    };
    match vigil_config::Config::load_file(&path) {
        Ok(c) => print!("{}", c.to_yaml()),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
