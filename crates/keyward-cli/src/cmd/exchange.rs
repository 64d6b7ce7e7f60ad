//! `keyward import`, `keyward export` and `keyward run`: moving an environment's secrets
//! between the store and files or processes.

use super::store::open;
use super::EXIT_OK;
use crate::cli::{ExportArgs, ImportArgs, RunArgs};
use anyhow::{bail, Context, Result};
use base64::Engine as _;
use keyward_core::policy::Kind;
use keyward_core::SecretBytes;
use keyward_store::{ErrorKind, Expected, Exported, MetaPatch, SecretPath};
use std::io::Write;
use zeroize::Zeroizing;

/// Run `keyward import`.
pub fn import(args: ImportArgs) -> Result<u8> {
    keyward_store::validate_env(&args.env)?;
    let doc = keyward_env::fs::load(&args.file)?;
    let mut store = open(&args.opts)?;
    let (mut written, mut unchanged) = (0usize, 0usize);
    for entry in doc.entries() {
        let path = SecretPath::new(&args.env, &entry.key)?;
        let value = SecretBytes::new(entry.value.as_bytes());
        let existing = match store.get(&path) {
            Ok(current) => Some(current),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("import stopped at {path} after {written} writes"))
            }
        };
        if existing.as_ref().is_some_and(|c| c.value == value) {
            unchanged += 1;
            continue;
        }
        let patch = MetaPatch {
            kind: existing
                .is_none()
                .then(|| Kind::infer(&entry.key).as_str().to_string()),
            ..Default::default()
        };
        let expected = existing.map_or(Expected::Absent, |c| Expected::Version(c.version));
        store
            .set(&path, &value, expected, &patch)
            .with_context(|| format!("import stopped at {path} after {written} writes"))?;
        written += 1;
    }
    eprintln!(
        "keyward: imported {} into {}: {written} written, {unchanged} unchanged",
        args.file.display(),
        args.env
    );
    Ok(EXIT_OK)
}

/// Refuse, naming the variable, a value `format` cannot carry. Runs inside the export
/// transaction, so a refused export is rolled back and audited as failed.
fn check(format: &str, e: &Exported) -> Result<(), String> {
    if format == "k8s" {
        return Ok(());
    }
    let value = e.value.expose();
    if value.contains(&0) {
        let target = if format == "run" {
            "an environment variable".to_string()
        } else {
            format!("--format {format}")
        };
        return Err(format!(
            "{} contains a NUL byte, which {target} cannot carry",
            e.name
        ));
    }
    if format == "run" {
        return Ok(());
    }
    let Ok(text) = std::str::from_utf8(value) else {
        return Err(format!(
            "{} is not UTF-8 text, which --format {format} cannot carry (use --format k8s)",
            e.name
        ));
    };
    if format == "docker" {
        if let Some(c) = text.chars().find(|c| matches!(c, '\n' | '\r')) {
            let what = if c == '\n' {
                "a newline"
            } else {
                "a carriage return"
            };
            return Err(format!(
                "{} contains {what}, which `docker --env-file` cannot carry (use --format dotenv or k8s)",
                e.name
            ));
        }
    }
    Ok(())
}

/// The text of a value that [`check`] accepted.
fn text(e: &Exported) -> &str {
    std::str::from_utf8(e.value.expose()).unwrap_or_default()
}

fn dotenv(secrets: &[Exported], env: &str) -> String {
    let mut out = format!("# keyward export --env {env} --format dotenv\n");
    for e in secrets {
        out.push_str(&keyward_env::dotenv::format_entry(&e.name, text(e)));
        out.push('\n');
    }
    out
}

fn docker(secrets: &[Exported]) -> String {
    secrets
        .iter()
        .map(|e| format!("{}={}\n", e.name, text(e)))
        .collect()
}

fn json(secrets: &[Exported]) -> Result<String> {
    let map: serde_json::Map<String, serde_json::Value> = secrets
        .iter()
        .map(|e| (e.name.clone(), text(e).into()))
        .collect();
    Ok(serde_json::to_string_pretty(&map)? + "\n")
}

fn dns_name(s: &str, max: usize, dots: bool) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= max
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || (dots && *c == b'.')
        })
}

fn k8s(secrets: &[Exported], args: &ExportArgs) -> Result<String> {
    let name = args.name.clone().unwrap_or_else(|| {
        format!(
            "{}-secrets",
            args.env.to_ascii_lowercase().replace('_', "-")
        )
    });
    if !dns_name(&name, 253, true) {
        bail!("invalid Kubernetes Secret name `{name}` (lowercase letters, digits, `-`, `.`)");
    }
    let mut out = format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n");
    if let Some(ns) = &args.namespace {
        if !dns_name(ns, 63, false) {
            bail!("invalid namespace `{ns}` (lowercase letters, digits, `-`)");
        }
        out.push_str(&format!("  namespace: {ns}\n"));
    }
    out.push_str("  labels:\n    app.kubernetes.io/managed-by: keyward\n");
    out.push_str(&format!(
        "  annotations:\n    keyward.dev/environment: \"{}\"\n",
        args.env
    ));
    out.push_str("type: Opaque\n");
    if secrets.is_empty() {
        out.push_str("data: {}\n");
    } else {
        out.push_str("data:\n");
        for e in secrets {
            let b64 = base64::engine::general_purpose::STANDARD.encode(e.value.expose());
            out.push_str(&format!("  {}: {b64}\n", e.name));
        }
    }
    Ok(out)
}

/// Run `keyward export`.
pub fn export(args: ExportArgs) -> Result<u8> {
    let format = args.format.as_str();
    if !matches!(format, "dotenv" | "json" | "k8s" | "docker") {
        bail!("unknown export format `{format}` (dotenv, json, k8s or docker)");
    }
    let mut store = open(&args.opts)?;
    let secrets = store.export_env(&args.env, "export", &format!("format {format}"), &|e| {
        check(format, e)
    })?;
    // JWT secrets in a rotation's grace period also export JWT_SECRET_PREVIOUS.
    let secrets = keyward_rotate::jwt::with_previous(&mut store, &args.env, secrets)?;
    drop(store);
    let text = Zeroizing::new(match format {
        "dotenv" => dotenv(&secrets, &args.env),
        "json" => json(&secrets)?,
        "k8s" => k8s(&secrets, &args)?,
        _ => docker(&secrets),
    });
    if secrets.is_empty() {
        eprintln!("keyward: no secrets in environment {}", args.env);
    }
    match &args.output {
        Some(file) => {
            keyward_env::fs::write_private(file, text.as_bytes(), false)?;
            eprintln!(
                "keyward: wrote {} secrets to {} (mode 0600)",
                secrets.len(),
                file.display()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(EXIT_OK)
}

/// Run `keyward run`: the child's exit code is passed through (128 + N for signal N).
pub fn run(args: RunArgs) -> Result<u8> {
    let program = &args.command[0];
    let shown = std::path::Path::new(program)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.clone());
    let mut store = open(&args.opts)?;
    let secrets = store.export_env(&args.env, "run", &format!("command {shown}"), &|e| {
        check("run", e)
    })?;
    drop(store);
    let mut cmd = std::process::Command::new(program);
    cmd.args(&args.command[1..]);
    for e in &secrets {
        cmd.env(&e.name, os_value(&e.value));
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run `{program}`"))?;
    drop(secrets);
    let status = child
        .wait()
        .with_context(|| format!("waiting for `{program}`"))?;
    Ok(exit_code(status))
}

#[cfg(unix)]
fn os_value(v: &SecretBytes) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(v.expose()).to_os_string()
}

#[cfg(not(unix))]
fn os_value(v: &SecretBytes) -> std::ffi::OsString {
    v.to_lossy().into()
}

fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return code.clamp(0, 255) as u8;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return (128 + sig).clamp(0, 255) as u8;
        }
    }
    1
}
