//! Rewrites the derived fuzz seeds `corpus/fuzz/<target>/case-*` from the conformance tables; see
//! [`corsmatch_conformance::seeds`].

use std::process::ExitCode;

use corsmatch_conformance::{cases, seeds};

fn main() -> ExitCode {
    let derived = match seeds::derive() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match seeds::write(&cases::corpus_dir().join("fuzz"), &derived) {
        Ok(counts) => {
            for (target, n) in counts {
                println!("{target}: {n} seeds");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing corpus/fuzz: {e}");
            ExitCode::from(2)
        }
    }
}
