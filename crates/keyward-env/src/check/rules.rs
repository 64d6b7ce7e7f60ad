//! The environment checks' rule ids, titles and default severities.

use keyward_core::Severity;

/// One environment check, for listings and the SARIF rules table.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    /// Stable id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// What it means and how to fix it.
    pub description: &'static str,
}

macro_rules! rules {
    ($($konst:ident = $id:literal, $sev:ident, $title:literal, $desc:literal;)*) => {
        $(
            #[doc = $title]
            pub const $konst: &str = $id;
        )*
        /// Every environment check.
        pub const RULES: &[RuleInfo] = &[
            $(RuleInfo { id: $id, title: $title, severity: Severity::$sev, description: $desc },)*
        ];
    };
}

rules! {
    MISSING_REQUIRED = "env-missing-required", High,
        "Required variable is missing",
        "The policy marks the variable as required in this environment but no checked file or process defines it.";
    PLACEHOLDER_VALUE = "env-placeholder-value", High,
        "Variable is empty or a placeholder",
        "Replace the placeholder with a real value; `keyward env generate` fills secret kinds with strong random values.";
    WEAK_VALUE = "env-weak-value", High,
        "Value is weaker than its kind requires",
        "The value is too short, too predictable, or not of the form its kind requires (JWT secrets need 256 bits, passwords 32+ random characters).";
    STRIPE_MODE_MISMATCH = "env-stripe-mode-mismatch", High,
        "Stripe key mode does not match the environment",
        "Use Stripe test keys (sk_test_, pk_test_) outside production and live keys in production; never production secrets in development.";
    STRIPE_MIXED_MODES = "env-stripe-mixed-modes", High,
        "Stripe test and live keys mixed in one environment",
        "All Stripe keys of an environment must be of the same mode.";
    SECRET_FRONTEND_PREFIX = "env-secret-frontend-prefix", Critical,
        "Secret under a frontend-exposed prefix",
        "Bundlers inline variables with this prefix into the JavaScript every visitor downloads; keep secrets server-side.";
    DATABASE_URL_SSLMODE = "env-database-url-sslmode", High,
        "Database URL does not require TLS",
        "Outside development, database URLs must carry sslmode=require, verify-ca or verify-full.";
    FILE_TRACKED = "env-file-tracked", Critical,
        "Environment file is tracked by git",
        "Remove it from the index (git rm --cached), add it to .gitignore, and rotate every secret it held.";
    FILE_NOT_IGNORED = "env-file-not-ignored", High,
        "Environment file is not covered by .gitignore",
        "Add the file to .gitignore so it cannot be committed by accident.";
    EXAMPLE_REAL_SECRET = "env-example-real-secret", High,
        "Example file holds a real secret",
        "Example files are committed; replace the value with a placeholder and rotate the secret.";
    DUPLICATE_KEY = "env-duplicate-key", Medium,
        "Variable is defined more than once",
        "Only the last definition takes effect; remove the others.";
    UNDECLARED_VARIABLE = "env-undeclared-variable", Low,
        "Variable is not declared in the policy",
        "Declare it under [variables] in keyward.toml (with its kind) or remove it.";
}

/// The rule with `id`.
pub fn info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}
