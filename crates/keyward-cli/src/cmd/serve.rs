//! `keyward serve`: read the configuration and keys, open the store, hand over to
//! `keyward_server::launch`.

use super::{store, EXIT_OK};
use crate::cli::{ServeArgs, ServerOpts};
use anyhow::{anyhow, bail, Context, Result};
use keyward_core::policy::{Policy, ServerSection};
use keyward_rotate::Leader;
use keyward_server::backend::store::StorePool;
use keyward_server::launch::{self, Launch, RootToken};
use keyward_server::ops::{scheduler, Ops, StoreOps};
use keyward_server::serve::TlsFiles;
use keyward_server::token::TokenHasher;
use keyward_server::ServerConfig;
use keyward_store::{Key, Location, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The `[server]` section (empty when there is none) and the directory its relative files
/// are read from.
pub fn section(opts: &ServerOpts) -> Result<(ServerSection, PathBuf)> {
    let (section, base, _) = section_and_policy(opts)?;
    Ok((section, base))
}

/// [`section`], plus the whole policy (the rotation settings the server's operations use).
fn section_and_policy(opts: &ServerOpts) -> Result<(ServerSection, PathBuf, Policy)> {
    let (mut policy, file) = Policy::discover(opts.config.as_deref())?;
    let base = file
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Ok((policy.server.take().unwrap_or_default(), base, policy))
}

/// The checked server configuration.
pub fn config(section: &ServerSection, base: &Path) -> Result<ServerConfig> {
    Ok(ServerConfig::from_section(section, base, |v| {
        std::env::var(v).ok()
    })?)
}

/// The token-hash key: `KEYWARD_TOKEN_HASH_KEY`, else `[server] token_hash_key_file`.
pub fn hasher(section: &ServerSection, base: &Path) -> Result<TokenHasher> {
    if let Ok(text) = std::env::var("KEYWARD_TOKEN_HASH_KEY") {
        let text = zeroize::Zeroizing::new(text);
        return TokenHasher::from_base64(&text)
            .map_err(|e| anyhow!("$KEYWARD_TOKEN_HASH_KEY: {e}"));
    }
    match &section.token_hash_key_file {
        Some(f) => Ok(TokenHasher::from_file(&base.join(f))?),
        None => bail!(
            "no token-hash key: set KEYWARD_TOKEN_HASH_KEY (base64 of 32 bytes, e.g. from `openssl rand -base64 32`) or [server] token_hash_key_file"
        ),
    }
}

/// A pool over the store at `location`, unsealed with `kek`.
pub fn pool(location: Location, kek: &Key, readers: usize) -> Result<Arc<StorePool>> {
    let key = kek.to_base64();
    let open = Box::new(move || Store::open(location.open(false)?, Key::from_base64(&key)?));
    Ok(Arc::new(StorePool::new(open, readers)?))
}

/// Run `keyward serve`.
pub fn run(args: ServeArgs) -> Result<u8> {
    keyward_server::logging::init(args.log_json);
    let (section, base, policy) = section_and_policy(&args.server)?;
    let config = config(&section, &base)?;
    let readers = args.read_connections.max(1);
    // Dev mode keeps its temporary directory until the server stops.
    let mut _dev_dir = None;
    let (pool, hasher, root, location) = if args.dev {
        let dir = tempfile::Builder::new()
            .prefix("keyward-dev-")
            .tempdir()
            .context("cannot create the dev store's temporary directory")?;
        let location = Location::Sqlite(dir.path().join("store.db"));
        let kek = Key::random()?;
        drop(Store::init(
            location.open(true)?,
            Key::from_base64(&kek.to_base64())?,
        )?);
        let pool = pool(location.clone(), &kek, readers)?;
        _dev_dir = Some(dir);
        let root = match args.dev_root_token {
            Some(t) => RootToken::Given(zeroize::Zeroizing::new(t)),
            None => RootToken::Generate,
        };
        (pool, TokenHasher::random(), Some(root), location)
    } else {
        let kek = store::master_key(&args.server.store)?;
        let location = store::location(&args.server.store);
        let pool = pool(location.clone(), &kek, readers)?;
        (pool, hasher(&section, &base)?, None, location)
    };
    let listen = args
        .listen
        .or(section.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8200".into());
    let listener = std::net::TcpListener::bind(&listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    let tls = match (&section.tls_cert_file, &section.tls_key_file) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: base.join(cert),
            key: base.join(key),
        }),
        (None, None) => None,
        _ => bail!("[server] tls_cert_file and tls_key_file go together"),
    };
    let dev = args.dev;
    let scheduler = scheduler::task(config.rotation_check, Leader::for_location(&location));
    let ops: Arc<dyn Ops> = Arc::new(StoreOps::new(pool.clone(), policy));
    let launch = Launch {
        config,
        pool,
        hasher,
        listener,
        tls,
        insecure_http: args.insecure_http,
        root_token: root,
        tasks: vec![scheduler],
        ops: Some(ops),
    };
    launch::run(launch, |ready| {
        let url = format!("{}://{}", ready.scheme, ready.addr);
        if dev {
            println!("keyward dev server on {url} (temporary store, deleted at exit; never for real secrets)");
        } else {
            println!("keyward server on {url}");
        }
        if let Some(token) = ready.root_token {
            println!("Root Token: {token}");
            println!("(shown once; export VAULT_ADDR={url} BAO_ADDR={url} and VAULT_TOKEN/BAO_TOKEN)");
        }
        if dev {
            println!("KV v2 engine mounted at secret/");
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
    })
    .map_err(|e| anyhow!(e))?;
    Ok(EXIT_OK)
}
