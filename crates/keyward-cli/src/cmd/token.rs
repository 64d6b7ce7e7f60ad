//! `keyward token …` and `keyward policy …`: the server's tokens and API-written policies,
//! managed directly in the store (so an operator can bootstrap the first token of a server
//! that has none, and revoke one while the server is down).

use super::serve::{hasher, pool, section};
use super::{store, EXIT_ERROR, EXIT_OK};
use crate::cli::{PolicyCommand, ServerOpts, TokenCommand};
use anyhow::{anyhow, bail, Context, Result};
use keyward_server::backend::store::backends;
use keyward_server::backend::{Backends, DocKind, OpContext, TokenRecord};
use keyward_server::clock::parse_duration;
use keyward_server::policy::parse_policy;
use keyward_server::token::{NewToken, Tokens};
use keyward_server::ServerConfig;
use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

fn open(opts: &ServerOpts) -> Result<(Backends, ServerConfig)> {
    let (section, base) = section(opts)?;
    // The token and policy commands need the mounts, token limits and policies only: the
    // server's credentials (Redis URL, webhook URLs) need not be in their environment.
    let cfg = ServerConfig::from_section(&section, &base, |v| {
        Some(std::env::var(v).unwrap_or_default())
    })?;
    let kek = store::master_key(&opts.store)?;
    let pool = pool(store::location(&opts.store), &kek, 1)?;
    Ok((backends(pool, &cfg.mounts), cfg))
}

fn op() -> OpContext {
    OpContext {
        actor: format!("cli-{}", keyward_store::Actor::os_user().name),
        accessor: None,
        remote: None,
        now: SystemTime::now(),
    }
}

fn secs(t: Option<SystemTime>) -> Option<u64> {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

fn json(r: &TokenRecord) -> serde_json::Value {
    serde_json::json!({
        "accessor": r.accessor,
        "display_name": r.display_name,
        "policies": r.policies,
        "creation_time": secs(Some(r.creation_time)),
        "expire_time": secs(r.expire_time),
        "renewable": r.renewable,
        "orphan": r.orphan,
        "path": r.path,
    })
}

fn human(r: &TokenRecord) -> String {
    let expiry = match secs(r.expire_time) {
        Some(t) => {
            let left = t.saturating_sub(secs(Some(SystemTime::now())).unwrap_or(0));
            format!("expires in {}d {}h", left / 86400, left % 86400 / 3600)
        }
        None => "never expires".into(),
    };
    format!(
        "{}  {}  policies={}  {}",
        r.accessor,
        r.display_name,
        r.policies.join(","),
        expiry
    )
}

/// Run `keyward token …`.
pub fn token(cmd: TokenCommand) -> Result<u8> {
    match cmd {
        TokenCommand::Create {
            server,
            policies,
            ttl,
            display_name,
            format,
        } => {
            let (section, base) = section(&server)?;
            let hasher = hasher(&section, &base)?;
            let (b, cfg) = open(&server)?;
            let ttl = ttl
                .map(|t| {
                    parse_duration(&t).ok_or_else(|| {
                        anyhow!("--ttl: invalid duration `{t}` (e.g. 30m, 768h, 90d)")
                    })
                })
                .transpose()?;
            let tokens = Tokens::new(b.tokens.clone(), hasher, cfg.tokens.clone());
            let policies = if policies.is_empty() {
                vec!["default".to_string()]
            } else {
                policies
            };
            let req = NewToken {
                policies,
                display_name: format!("token-{display_name}"),
                ttl,
                renewable: true,
                orphan: true,
                path: "auth/token/create".into(),
                ..NewToken::default()
            };
            let (token, record, warnings) = tokens.create(req, &op())?;
            for w in &warnings {
                eprintln!("keyward: warning: {w}");
            }
            if format == "json" {
                let mut v = json(&record);
                v["token"] = serde_json::Value::String(token.to_string());
                println!("{v}");
            } else {
                println!("token           {}", token.as_str());
                println!("accessor        {}", record.accessor);
                println!("policies        {}", record.policies.join(", "));
                eprintln!("keyward: the token is shown once; only its keyed hash is stored");
            }
            Ok(EXIT_OK)
        }
        TokenCommand::List { server, format } => {
            let (b, _) = open(&server)?;
            let list = b.tokens.list()?;
            if format == "json" {
                let v: Vec<_> = list.iter().map(json).collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for r in &list {
                    println!("{}", human(r));
                }
            }
            Ok(EXIT_OK)
        }
        TokenCommand::Lookup { server, accessor } => {
            let (b, _) = open(&server)?;
            match b.tokens.by_accessor(&accessor)? {
                Some(r) => {
                    println!("{}", serde_json::to_string_pretty(&json(&r))?);
                    Ok(EXIT_OK)
                }
                None => {
                    eprintln!("keyward: no token with accessor {accessor}");
                    Ok(EXIT_ERROR)
                }
            }
        }
        TokenCommand::Revoke { server, accessor } => {
            let (b, _) = open(&server)?;
            let revoked = b.tokens.revoke(&accessor, &op())?;
            if revoked.is_empty() {
                eprintln!("keyward: no token with accessor {accessor}");
                return Ok(EXIT_ERROR);
            }
            for a in revoked {
                println!("revoked {a}");
            }
            Ok(EXIT_OK)
        }
    }
}

/// Run `keyward policy …`.
pub fn policy(cmd: PolicyCommand) -> Result<u8> {
    match cmd {
        PolicyCommand::List { server } => {
            let (b, cfg) = open(&server)?;
            for name in cfg.policies.keys() {
                println!("{name} (keyward.toml)");
            }
            for name in b.docs.list(DocKind::Policy)? {
                println!("{name}");
            }
            Ok(EXIT_OK)
        }
        PolicyCommand::Read { server, name } => {
            let (b, _) = open(&server)?;
            match b.docs.get(DocKind::Policy, &name)? {
                Some(text) => {
                    print!("{text}");
                    if !text.ends_with('\n') {
                        println!();
                    }
                    Ok(EXIT_OK)
                }
                None => {
                    eprintln!("keyward: no policy {name} in the store");
                    Ok(EXIT_ERROR)
                }
            }
        }
        PolicyCommand::Write { server, name, file } => {
            if name == "root" || name == "default" {
                bail!("policy {name} is built in and cannot be written");
            }
            let mut text = String::new();
            if file.as_os_str() == "-" {
                std::io::stdin().read_to_string(&mut text)?;
            } else {
                text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
            }
            parse_policy(&name, &text).map_err(|e| anyhow!("{e}"))?;
            let (b, cfg) = open(&server)?;
            if cfg.policies.contains_key(&name) {
                bail!("policy {name} is declared in keyward.toml; change it there");
            }
            b.docs.put(DocKind::Policy, &name, &text, &op())?;
            eprintln!("keyward: wrote policy {name}");
            Ok(EXIT_OK)
        }
        PolicyCommand::Delete { server, name } => {
            let (b, _) = open(&server)?;
            if !b.docs.delete(DocKind::Policy, &name, &op())? {
                eprintln!("keyward: no policy {name} in the store");
                return Ok(EXIT_ERROR);
            }
            eprintln!("keyward: deleted policy {name}");
            Ok(EXIT_OK)
        }
    }
}
