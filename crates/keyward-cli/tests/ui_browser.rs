//! The dashboard in a real browser: the built `keyward serve` on a store holding an
//! overdue secret, driven by headless Chromium through selenium (`tests/ui_browser.py`):
//! login, the overdue rotation on the overview, the secret's page, revoking a token (then
//! refused by the API), logout, a page without a session redirected to login, and a form
//! without its CSRF token refused (plain HTTP). Screenshots of each page go to
//! `target/ui-screenshots/`. Needs `chromium`, `chromedriver` and a venv with selenium
//! (`KEYWARD_TEST_VENV`, as `.ci/run` makes); without them it prints `SKIPPED` and `.ci/run`
//! fails on the skip.

#[path = "support/server.rs"]
mod server;

use keyward_store::{Key, Location, MetaPatch, Store};
use serde_json::Value;
use server::{ok, serve, KEY};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the skip log calls this test's missing tools (`scripts/test-skips.sh chromium`).
const SKIP: &str = "KEYWARD_TEST_CHROMIUM";

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Chromium, chromedriver and a Python with selenium, or why not.
fn tools() -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let chromium = match std::env::var_os(SKIP) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => which("chromium").or_else(|| which("chromium-browser")),
    }
    .ok_or("chromium not found (apt-get install chromium chromium-driver)")?;
    let driver =
        which("chromedriver").ok_or("chromedriver not found (apt-get install chromium-driver)")?;
    let venv = std::env::var_os("KEYWARD_TEST_VENV")
        .ok_or("KEYWARD_TEST_VENV not set (a venv with selenium; .ci/run makes one)")?;
    let python = Path::new(&venv).join("bin/python");
    let has = Command::new(&python)
        .args(["-c", "import selenium"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        return Err(format!("{} cannot import selenium", python.display()));
    }
    Ok((chromium, driver, python))
}

#[test]
fn the_dashboard_in_a_real_browser() {
    let (chromium, driver, python) = match tools() {
        Ok(t) => t,
        Err(why) => {
            keyward_store::testing::skip(SKIP, &why);
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("keyward.toml"),
        "[variables.JWT_SECRET]\nkind = \"jwt-secret\"\n\n[server]\nrotation_check = \"0s\"\n",
    )
    .unwrap();
    let store = d.join("store.db").display().to_string();
    ok(d, &store, &["store", "init"], "");
    ok(
        d,
        &store,
        &["secret", "set", "production/JWT_SECRET"],
        "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=\n",
    );
    {
        // Last rotated long ago: overdue under the 90-day policy.
        let mut s = Store::open(
            Location::parse(Some(&store)).open(false).unwrap(),
            Key::from_base64(KEY).unwrap(),
        )
        .unwrap();
        let patch = MetaPatch {
            last_rotated: Some(Some("2020-01-01T00:00:00.000Z".into())),
            ..MetaPatch::default()
        };
        s.update_meta(&"production/JWT_SECRET".parse().unwrap(), &patch, None)
            .unwrap();
    }
    let create = |policy: &str| -> Value {
        let out = ok(
            d,
            &store,
            &["token", "create", "-f", "json", "--policy", policy],
            "",
        );
        serde_json::from_str(&out).unwrap()
    };
    let root = create("root")["token"].as_str().unwrap().to_string();
    let victim = create("default");
    let victim_token = victim["token"].as_str().unwrap().to_string();
    let s = serve(d, &store, &[], &[]);
    assert_eq!(
        s.req(
            "GET",
            "/v1/auth/token/lookup-self",
            Some(&victim_token),
            None
        )
        .status,
        200
    );

    let shots = server::bin()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("ui-screenshots");
    let port = s.addr.rsplit(':').next().unwrap();
    let out = Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui_browser.py"))
        .env("KEYWARD_UI_URL", format!("http://localhost:{port}"))
        .env("KEYWARD_UI_TOKEN", &root)
        .env("KEYWARD_UI_VICTIM", victim["accessor"].as_str().unwrap())
        .env("KEYWARD_UI_SECRET", "production/JWT_SECRET")
        .env("KEYWARD_UI_SHOTS", &shots)
        .env("KEYWARD_UI_CHROMIUM", chromium)
        .env("KEYWARD_UI_CHROMEDRIVER", driver)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "browser checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("screenshots: {}", shots.display());
    // The token revoked in the browser is refused by the API.
    assert_eq!(
        s.req(
            "GET",
            "/v1/auth/token/lookup-self",
            Some(&victim_token),
            None
        )
        .status,
        403
    );
    // Every dashboard action is in the store's audit chain; no token in it.
    let log = ok(d, &store, &["audit", "log", "-f", "json"], "");
    assert!(log.contains("ui/tokens/revoke") && log.contains("ui/login"));
    assert!(!log.contains(&root) && !log.contains(&victim_token));
}
