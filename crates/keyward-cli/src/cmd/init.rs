//! `keyward init`: write a commented keyward.toml.

use crate::cli::InitArgs;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

/// Example files `init` looks for when `--from` is not given, in order.
const EXAMPLES: &[&str] = &[".env.example", ".env.sample", ".env.template"];

pub fn run(args: InitArgs) -> Result<u8> {
    if args.output.exists() && !args.force {
        anyhow::bail!(
            "{} already exists (use --force to overwrite)",
            args.output.display()
        );
    }
    let from = args
        .from
        .clone()
        .or_else(|| EXAMPLES.iter().map(PathBuf::from).find(|p| p.is_file()));
    let example = match &from {
        Some(path) => Some((path.display().to_string(), keyward_env::fs::load(path)?)),
        None => None,
    };
    let text = keyward_env::init::render(example.as_ref().map(|(p, d)| (p.as_str(), d)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options
        .open(&args.output)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    match &example {
        Some((path, doc)) => {
            let mut names: Vec<&str> = doc.entries().map(|e| e.key.as_str()).collect();
            names.dedup();
            println!(
                "wrote {} with {} variable(s) from {path}; review the inferred kinds",
                args.output.display(),
                names.len()
            );
        }
        None => println!(
            "wrote {} (no .env.example found: declare variables under [variables])",
            args.output.display()
        ),
    }
    Ok(super::EXIT_OK)
}
