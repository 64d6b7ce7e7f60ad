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

/// Run `keyward export`. The audit log says `ok` only once the output is written; a
/// failure to format or write it is logged as `failed`.
pub fn export(args: ExportArgs) -> Result<u8> {
    let format = args.format.as_str();
    if !matches!(format, "dotenv" | "json" | "k8s" | "docker") {
        bail!("unknown export format `{format}` (dotenv, json, k8s or docker)");
    }
    let mut store = open(&args.opts)?;
    let (secrets, receipt) =
        store.export_env_deferred(&args.env, "export", &format!("format {format}"), &|e| {
            check(format, e)
        })?;
    if secrets.is_empty() && !args.allow_empty {
        let _ = store.finish_export(&receipt, Err("the environment has no secrets"));
        return Err(empty_env(&mut store, &args.env));
    }
    let written = write_export(&mut store, &args, format, secrets);
    let n = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = store.finish_export(&receipt, Err(&e.to_string()));
            return Err(e);
        }
    };
    if let Err(e) = store.finish_export(&receipt, Ok(())) {
        // Never leave behind an export the log does not show.
        let withdrawn = match &args.output {
            Some(file) if std::fs::remove_file(file).is_ok() => {
                format!("; {} was removed", file.display())
            }
            _ => String::new(),
        };
        return Err(anyhow::Error::new(e).context(format!(
            "the export could not be recorded in the audit log{withdrawn}"
        )));
    }
    drop(store);
    if n == 0 {
        eprintln!("keyward: no secrets in environment {}", args.env);
    }
    if let Some(file) = &args.output {
        eprintln!(
            "keyward: wrote {n} secrets to {} (mode 0600)",
            file.display()
        );
    }
    Ok(EXIT_OK)
}

/// The error for an environment without secrets, naming the environments that have some.
fn empty_env(store: &mut keyward_store::Store, env: &str) -> anyhow::Error {
    let mut known: Vec<String> = store
        .list("", false)
        .unwrap_or_default()
        .iter()
        .map(|m| m.path.env().to_string())
        .collect();
    known.sort();
    known.dedup();
    let hint = if known.is_empty() {
        "the store holds no secrets".to_string()
    } else {
        format!("environments with secrets: {}", known.join(", "))
    };
    anyhow::anyhow!(
        "environment `{env}` has no secrets in the store ({hint}); pass --allow-empty if that is expected"
    )
}

/// Format `secrets` (plus JWT `_PREVIOUS` values in their grace period) and write them to
/// `-o FILE` or stdout. Returns how many variables were written.
fn write_export(
    store: &mut keyward_store::Store,
    args: &ExportArgs,
    format: &str,
    secrets: Vec<Exported>,
) -> Result<usize> {
    // JWT secrets in a rotation's grace period also export JWT_SECRET_PREVIOUS.
    let secrets = keyward_rotate::jwt::with_previous(store, &args.env, secrets)?;
    let text = Zeroizing::new(match format {
        "dotenv" => dotenv(&secrets, &args.env),
        "json" => json(&secrets)?,
        "k8s" => k8s(&secrets, args)?,
        _ => docker(&secrets),
    });
    match &args.output {
        Some(file) => keyward_env::fs::write_private(file, text.as_bytes(), false)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(secrets.len())
}

/// Variables of keyward's own environment that `keyward run` never hands to the command:
/// the master keys and the fingerprint key. (`KEYWARD_STORE` is withheld too when it
/// carries a password.)
const WITHHELD_FROM_CHILD: &[&str] = &[
    "KEYWARD_MASTER_KEY",
    "KEYWARD_NEW_MASTER_KEY",
    keyward_core::fingerprint::KEY_VAR,
];

/// Does this `KEYWARD_STORE` value carry a credential (a PostgreSQL URL with a password)?
fn store_has_password(value: &std::ffi::OsStr) -> bool {
    match value.to_str() {
        Some(v) => keyward_store::backend::postgres::redact_url(v) != v,
        // Not UTF-8: keyward could not use it as a URL either; do not pass it on.
        None => true,
    }
}

/// Run `keyward run`: the child's exit code is passed through (128 + N for signal N). The
/// child gets the environment's secrets but not keyward's master keys, and the audit log
/// says `ok` only once the command has started.
pub fn run(args: RunArgs) -> Result<u8> {
    let program = &args.command[0];
    let shown = std::path::Path::new(program)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.clone());
    let mut store = open(&args.opts)?;
    let (secrets, receipt) =
        store.export_env_deferred(&args.env, "run", &format!("command {shown}"), &|e| {
            check("run", e)
        })?;
    if secrets.is_empty() && !args.allow_empty {
        let _ = store.finish_export(&receipt, Err("the environment has no secrets"));
        return Err(empty_env(&mut store, &args.env));
    }
    let mut cmd = std::process::Command::new(program);
    cmd.args(&args.command[1..]);
    for var in WITHHELD_FROM_CHILD {
        cmd.env_remove(var);
    }
    if std::env::var_os("KEYWARD_STORE").is_some_and(|v| store_has_password(&v)) {
        cmd.env_remove("KEYWARD_STORE");
    }
    for e in &secrets {
        cmd.env(&e.name, os_value(&e.value));
    }
    let spawned = cmd.spawn();
    drop(cmd);
    drop(secrets);
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let _ = store.finish_export(&receipt, Err("the command could not be started"));
            return Err(e).with_context(|| format!("cannot run `{program}`"));
        }
    };
    if let Err(e) = store.finish_export(&receipt, Ok(())) {
        // The command must not run with secrets the log does not show.
        let _ = child.kill();
        let _ = child.wait();
        return Err(anyhow::Error::new(e).context(format!(
            "`{program}` was stopped: its run could not be recorded in the audit log"
        )));
    }
    drop(store);
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
