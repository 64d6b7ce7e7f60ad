//! Precision on real code, second part (issue 14): false alarms that remained on the
//! frozen half of the real-repository set (`docs/precision.md`) — translation catalogues,
//! shell quoting, class names, schema maps, minified bundles, lockfile aliases and phrases
//! that describe the slot. Each negative case has a positive case of the same shape that
//! must still be found.

use keyward_core::Context;
mod common;
use common::{assert_found, assert_quiet, scanner};

/// A translation catalogue maps message ids to UI text: `password_repeat` names a field.
#[test]
fn translation_catalogues_hold_labels() {
    assert_quiet(&[
        (
            "data/web/lang/lang.de-de.json",
            "  \"password_repeat\": \"Passwort (Wiederholung)\",",
        ),
        (
            "data/web/lang/lang.en-gb.json",
            "  \"password_repeat\": \"Password (repeat)\",",
        ),
        (
            "conf/locale/locale_it-IT.ini",
            "retype_new_password=Re-inserisci la password",
        ),
        ("po/it.po", "msgstr \"password: Reinserisci\""),
    ]);
    assert_found(&[
        // The same line in a configuration file is a password.
        (
            "config/app.json",
            "  \"password_repeat\": \"Xk9#mP2vL5nQ8wR\",",
            "generic-password",
        ),
        (
            "conf/app.ini",
            "retype_new_password=Xk9mP2vL5nQ8wR",
            "generic-password",
        ),
        // In a translation file, a value that is not text is still judged.
        (
            "data/web/lang/lang.de-de.json",
            "  \"smtp_password\": \"Xk9#mP2vL5nQ8wR\",",
            "generic-password",
        ),
        (
            "data/web/lang/lang.de-de.json",
            "  \"hint\": \"sk_live_51HqLyjWDarjtT1zdp7dcXk9mP2vL5nQ8\",",
            "stripe-live-secret-key",
        ),
    ]);
}

/// Shell that closes a quote around a variable, `${VAR:+word}`, a BuildKit secret mount
/// and a `find` expression after a quoted `mysql` are references or other commands.
#[test]
fn shell_quoting_expansions_and_other_commands() {
    assert_quiet(&[
        (
            "data/Dockerfiles/rspamd/set_worker_password.sh",
            "echo 'enable_password = \"'$password_hash'\";' > $password_file",
        ),
        ("mvnw", "case \"${MVNW_PASSWORD:+has-password}\" in"),
        (
            "docs/deploy.sh",
            "docker build --secret id=sentry_auth_token,env=SENTRY_AUTH_TOKEN .",
        ),
        (
            "helper-scripts/backup.sh",
            "F=$(find \"$d\" -maxdepth 1 \\( -name '*.gz' -o -name 'mysql' \\) -printf '%f\\n')",
        ),
    ]);
    assert_found(&[
        (
            "data/Dockerfiles/rspamd/set_worker_password.sh",
            "echo 'enable_password = \"Xk9mP2vL5nQ8wR\";' > $password_file",
            "generic-password",
        ),
        (
            "mvnw",
            "MVNW_PASSWORD=Xk9mP2vL5nQ8wR ./mvnw deploy",
            "generic-password",
        ),
        (
            "scripts/dump.sh",
            "rows=$(mysql -u root -pVq8Lr3Zt9Wm2 -e 'select 1')",
            "cli-short-password-flag",
        ),
    ]);
}

/// PHP class names, PHP array interpolation, SQL column types and inline script in HTML
/// templates are code or schema, not values.
#[test]
fn class_names_interpolation_schema_and_templates() {
    assert_quiet(&[
        (
            "src/OAuth2/Server.php",
            "            'access_token' => 'OAuth2\\Storage\\AccessTokenInterface',",
        ),
        (
            "src/Client.php",
            "        $options['curl'][\\CURLOPT_USERPWD] = \"$value[0]:$value[1]\";",
        ),
        (
            "inc/init_db.inc.php",
            "          \"client_secret\" => \"VARCHAR(80)\",",
        ),
        (
            "templates/base.twig",
            "      attrPayload = {password: newPw, password2: newPw2};",
        ),
    ]);
    assert_found(&[
        (
            "src/OAuth2/Server.php",
            "            'access_token' => 'Xk9mP2vL5nQ8wRzT4',",
            "generic-token",
        ),
        (
            "inc/init_db.inc.php",
            "          \"client_secret\" => \"Xk9#mP2vL5nQ8wR\",",
            "generic-secret",
        ),
        (
            "templates/base.twig",
            "      attrPayload = {password: \"Xk9#mP2vL5nQ8wR\"};",
            "generic-password",
        ),
    ]);
}

/// Code between two strings of a minified bundle, and Yarn's `npm:` aliases.
#[test]
fn minified_code_and_lockfile_aliases() {
    assert_quiet(&[
        (
            "web/api/swagger-ui.js",
            "x=l(\"password\"),e?p.createElement(\"div\")",
        ),
        (
            "yarn.lock",
            "    \"@aws-sdk/credential-provider-node\": \"npm:^3.972.80\"",
        ),
    ]);
    assert_found(&[
        (
            "web/api/app.js",
            "x=l({password:\"Xk9#mP2vL5nQ8wR\"}),e?p.createElement(\"div\")",
            "generic-password",
        ),
        (
            "config/app.json",
            "    \"aws_credentials\": \"Xk9mP2vL5nQ8wRzT4\"",
            "generic-credentials-json",
        ),
    ]);
}

/// A phrase that says what belongs in the slot (`client-secret`, `generate_a_new_key`).
#[test]
fn phrases_describing_the_slot() {
    assert_quiet(&[
        (".env.sample", "SECRET_KEY=generate_a_new_key"),
        (
            ".env.sample",
            "AWS_SECRET_ACCESS_KEY=get_the_secret_of_above_key",
        ),
        ("deploy/app.env", "OIDC_CLIENT_SECRET=client-secret"),
        (
            "server/notify.ts",
            "  get(`/api/unsubscribe?userId=${id}&token=invalid-token&eventType=update`)",
        ),
    ]);
    assert_found(&[
        (
            "deploy/app.env",
            "OIDC_CLIENT_SECRET=blue-horse-7391",
            "generic-secret",
        ),
        (
            "deploy/app.env",
            "SECRET_KEY=Tr0ub4dor-key9x",
            "secret-key-assignment",
        ),
        (
            "server/notify.ts",
            "  get(`/api/unsubscribe?userId=${id}&token=Xk9mP2vL5nQ8wRzT&eventType=update`)",
            "generic-token",
        ),
    ]);
}

/// `.env.test` is the test suite's environment: reported, but not blocking.
#[test]
fn dotenv_of_the_test_suite_is_test_context() {
    let f = scanner().scan(".env.test", b"OIDC_CLIENT_SECRET=Xk9mP2vL5nQ8wRzT\n");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].context, Context::Test);
    assert!(!f[0].blocking);
}
