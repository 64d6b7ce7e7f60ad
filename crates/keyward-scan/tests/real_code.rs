//! Precision on real code (issue 14): each cause of false alarms seen on real repositories,
//! as a negative case, next to a positive case of the same shape that must still be found.
//! The path decides the language, so the same line can be code in one file and a literal
//! in another.

use keyward_core::Context;
use keyward_scan::{RuleSet, Scanner};
mod common;
use common::{assert_found, assert_quiet, found, scanner};

/// Cause 1: a struct or object literal assigned to a secret-named variable.
#[test]
fn struct_and_object_literals_are_code() {
    assert_quiet(&[
        ("pkg/x/client.go", "\tfooToken := &pkg.Type{"),
        ("pkg/x/client.go", "\tm.Secret = &SecretProjection{}"),
        (
            "pkg/x/client.go",
            "\tsecretKey := SecretKeySelector{Name: n}",
        ),
        (
            "src/api.ts",
            "  const apiToken = TokenClient.create({ id })",
        ),
        ("app/x.rb", "    token = Token.new(user: user)"),
    ]);
    assert_found(&[
        (
            "pkg/x/client.go",
            "\tfooToken := \"Zr4Lq8Vm2Kx7Wp3Tn9Bd\"",
            "generic-token",
        ),
        (
            "src/api.ts",
            "  const apiToken = \"Zr4Lq8Vm2Kx7Wp3Tn9Bd\"",
            "generic-token",
        ),
    ]);
}

/// Cause 2: values that are variables, fields, method calls or dereferences.
#[test]
fn variables_fields_calls_and_dereferences_are_code() {
    assert_quiet(&[
        ("lib/client.rb", "  headers = { \"X-Api-Key\" => @key }"),
        (
            "lib/client.rb",
            "  headers = { \"X-Api-Key\" => api_key_for(account) }",
        ),
        ("internal/db.go", "\t\tPassword: *resp.RootPassword,"),
        ("internal/db.go", "\tdbPassword := cfg.Database.Password"),
        ("src/config.js", "  token: config.token,"),
        ("src/config.js", "  apiKey: someModule.apiKey"),
        ("src/Main.java", "    String password = user.getPassword();"),
        ("src/Db.cs", "        var password = options.Password;"),
        ("src/db.php", "$password = $request->input('password');"),
        ("app.py", "    password = self.settings.password"),
        ("app.py", "    api_key = secrets_manager.fetch"),
    ]);
    assert_found(&[
        (
            "lib/client.rb",
            "  headers = { \"X-Api-Key\" => \"Qw9Er3Ty7Ui2Op5As8Df\" }",
            "generic-api-key",
        ),
        (
            "internal/db.go",
            "\t\tPassword: \"Gv7#Lq2m!Zx9\",",
            "generic-password",
        ),
        (
            "src/config.js",
            "  token: \"h7Kq2Lz9Xv4Mp8Wr3Tn6Yb\",",
            "generic-token",
        ),
    ]);
}

/// Cause 3: ALL_CAPS constants set to hex or integer literals.
#[test]
fn numeric_constants_are_not_keys() {
    assert_quiet(&[
        (
            "sys/ioctl.go",
            "\tFS_IOC_REMOVE_ENCRYPTION_KEY = 0xc0406619",
        ),
        ("sys/ioctl.py", "FS_IOC_ADD_ENCRYPTION_KEY = 0xc0506617"),
        ("sys/consts.go", "\tKEY_SECRET_TOKEN_ID = 1234567890123"),
        ("config/app.yml", "encryption_key: 0xc0406619"),
    ]);
    assert_found(&[
        (
            "sys/keys.go",
            "\tENCRYPTION_KEY = \"Kq8vT2nLx9Rz4Wm7Hn4Xq9Lz\"",
            "secret-key-assignment",
        ),
        (
            "config/app.yml",
            "encryption_key: Kq8vT2nLx9Rz4Wm7Hn4Xq9Lz",
            "secret-key-assignment",
        ),
    ]);
}

/// Cause 4: type and schema references.
#[test]
fn types_and_schema_references_are_code() {
    assert_quiet(&[
        ("schema/db.cue", "\tpassword: pkg.#Secret"),
        ("schema/db.cue", "\tpassword: string | *\"\""),
        ("src/types.ts", "  apiKey: SecretString;"),
        ("src/types.ts", "  password?: Maybe<Scalars['String']>;"),
        (
            "api/types.go",
            "\tClientSecret SecretKeySelector `json:\"clientSecret\"`",
        ),
        ("Models/User.cs", "    public string Password { get; set; }"),
    ]);
    assert_found(&[
        (
            "schema/db.cue",
            "\tpassword: \"Kq8vT2nLx9Rz\"",
            "generic-password",
        ),
        (
            "src/types.ts",
            "  apiKey: \"Qw9Er3Ty7Ui2Op5As8Df\",",
            "generic-api-key",
        ),
    ]);
}

/// Cause 5: placeholders that describe what belongs there.
#[test]
fn descriptive_placeholders_are_not_secrets() {
    assert_quiet(&[
        (".env", "API_KEY=your-api-key-goes-here"),
        (".env", "SECRET=yoursecrethere"),
        ("values.yaml", "password: <role>-password"),
        ("values.yaml", "adminPassword: \"<admin password>\""),
    ]);
    assert_found(&[(".env", "API_KEY=Qw9Er3Ty7Ui2Op5As8Df", "generic-api-key")]);
}

/// Cause 6: non-secret values: base64 of an address, a SigV4 credential scope, an empty
/// query parameter.
#[test]
fn addresses_scopes_and_empty_parameters_are_not_secrets() {
    assert_quiet(&[
        // base64("https://hooks.acme-corp.com/callback")
        (
            "config.yml",
            "webhook_token: aHR0cHM6Ly9ob29rcy5hY21lLWNvcnAuY29tL2NhbGxiYWNr",
        ),
        // base64("ops-team@acme-corp.com")
        ("config.yml", "auth_token: b3BzLXRlYW1AYWNtZS1jb3JwLmNvbQ=="),
        (
            "sign.py",
            "credential_scope = \"20150830/us-east-1/iam/aws4_request\"",
        ),
        (
            "api.sh",
            "curl \"https://api.acme-corp.com/items?pageToken=&pageSize=50\"",
        ),
        ("client.go", "\turl := \"/v1/items?pageToken=&pageSize=50\""),
    ]);
    assert_found(&[
        (
            "config.yml",
            "auth_token: h7Kq2Lz9Xv4Mp8Wr3Tn6Yb",
            "generic-token",
        ),
        (
            "api.sh",
            "curl \"https://api.acme-corp.com/items?token=h7Kq2Lz9Xv4Mp8Wr3Tn6Yb\"",
            "generic-token",
        ),
    ]);
}

/// Cause 7: shell references to a secret held elsewhere, lockfile and manifest package
/// names.
#[test]
fn shell_references_and_package_names_are_not_secrets() {
    assert_quiet(&[
        (
            "deploy.sh",
            "export DB_PASSWORD=$(cat /run/secrets/db_password)",
        ),
        (
            "deploy.sh",
            "PGPASSWORD=\"$(vault kv get -field=password secret/db)\" psql",
        ),
        ("deploy.sh", "mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" app"),
        ("deploy.sh", "export API_TOKEN=`cat ~/.config/token`"),
        ("package.json", "    \"parse-passwd\": \"^1.0.0\","),
        ("package.json", "    \"jsonwebtoken-secret\": \"~9.0.2\","),
        ("Gemfile", "gem 'devise-token_auth', '~> 1.2'"),
    ]);
    assert_found(&[
        (
            "deploy.sh",
            "export DB_PASSWORD=Kp9mX2vL7qR4tZ8w",
            "generic-password",
        ),
        (
            "package.json",
            "    \"password\": \"Kp9mX2vL7qR4tZ8w\",",
            "generic-password",
        ),
    ]);
}

/// Literal passwords in the languages people commit are still found.
#[test]
fn literal_passwords_in_every_language_are_found() {
    assert_found(&[
        (
            "cmd/main.go",
            "\tdbPassword := \"Kp9mX2vL7qR4tZ8w\"",
            "generic-password",
        ),
        (
            "cmd/main.go",
            "\tdsn := \"host=db user=app password=Kp9mX2vL7qR4tZ8w\"",
            "generic-password",
        ),
        (
            "app/models/db.rb",
            "  password = \"Kp9mX2vL7qR4tZ8w\"",
            "generic-password",
        ),
        (
            "config/db.rb",
            "config.password = 'Kp9mX2vL7qR4tZ8w'",
            "generic-password",
        ),
        (
            "src/Db.java",
            "    private static final String DB_PASSWORD = \"Kp9mX2vL7qR4tZ8w\";",
            "generic-password",
        ),
        (
            "src/Db.kt",
            "    val dbPassword = \"Kp9mX2vL7qR4tZ8w\"",
            "generic-password",
        ),
        (
            "src/Db.cs",
            "        var password = \"Kp9mX2vL7qR4tZ8w\";",
            "generic-password",
        ),
        (
            "src/Db.cs",
            "  \"Server=db;Database=app;User Id=sa;Password=Kp9mX2vL7qR4tZ8w;\"",
            "generic-password",
        ),
        (
            "src/db.php",
            "$password = 'Kp9mX2vL7qR4tZ8w';",
            "generic-password",
        ),
        (
            "config/db.php",
            "    'password' => 'Kp9mX2vL7qR4tZ8w',",
            "generic-password",
        ),
        (
            "deploy.sh",
            "PGPASSWORD=Kp9m.X2vL7 psql -h db",
            "generic-password",
        ),
        (
            "app/settings.py",
            "DB_PASSWORD = \"Kp9mX2vL7qR4tZ8w\"",
            "generic-password",
        ),
        (
            "src/db.ts",
            "const dbPassword = 'Kp9mX2vL7qR4tZ8w';",
            "generic-password",
        ),
        (
            "main.tf",
            "  password = \"Kp9mX2vL7qR4tZ8w\"",
            "generic-password",
        ),
    ]);
}

/// Recall gaps seen on held-out data (issue 14, part 4).
#[test]
fn dotted_passwords_in_env_and_compose_files() {
    assert_found(&[
        (".env", "DB_PASSWORD=Kp9m.X2vL7qR4", "generic-password"),
        (".env", "SMTP_PASSWORD=mail.Pa55word.x", "generic-password"),
        (
            "deploy/app.env",
            "REDIS_PASSWORD=q8.Lm3Xv7Kp2",
            "generic-password",
        ),
        (
            "docker-compose.yml",
            "      POSTGRES_PASSWORD: Kp9m.X2vL7qR4",
            "generic-password",
        ),
        (
            "compose.yaml",
            "      - MYSQL_ROOT_PASSWORD=Zt5.Hw9Lq3Vx",
            "generic-password",
        ),
    ]);
    // Still code in code.
    assert_quiet(&[("app.py", "DB_PASSWORD = settings.db_password")]);
}

#[test]
fn pem_keys_whose_body_length_does_not_decode() {
    // 64-character lines and a final line one character long: 4k+1 characters of
    // base64, which does not decode, but is still a pasted private key.
    let line = "MIIEowIBAAKCAQEAq8vT2nLx9Rz4Wm7Hn4Xq9LzKp9mX2vL7qR4tZ8wQw9Er3Ty7";
    for extra in ["", "U", "Ui", "Ui2"] {
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{line}\n{line}\n{line}\n{extra}\n-----END RSA PRIVATE KEY-----\n"
        );
        assert_eq!(
            found("certs/server.key", &pem),
            vec!["private-key"],
            "{extra}"
        );
    }
}

#[test]
fn stripe_key_in_kubectl_from_literal() {
    assert_found(&[
        ("deploy.sh", "kubectl create secret generic stripe --from-literal=STRIPE_SECRET_KEY='sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0YaZr4Lq8Vm2Kx7Wp3Tn9Bd'", "stripe-live-secret-key"),
        ("README.md", "    kubectl create secret generic stripe --from-literal=key=sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0YaZr4Lq8Vm2Kx7Wp3Tn9Bd", "stripe-live-secret-key"),
    ]);
}

#[test]
fn django_keys_with_stars_and_percent_parens() {
    assert_found(&[
        (
            "app/settings.py",
            "SECRET_KEY = 'django-insecure-8f#k2!x@v9q***z3m^w7r&t1y*u5i(o0p'",
            "secret-key-assignment",
        ),
        (
            "app/settings.py",
            "SECRET_KEY = 'django-insecure-w16r)^^zxz9%(geyomfll(g^vzz=i69+1sc'",
            "secret-key-assignment",
        ),
    ]);
    assert_quiet(&[
        ("app/settings.py", "SECRET_KEY = '****************'"),
        ("app/settings.py", "SECRET_KEY = 'sk_****abcd'"),
        ("setup.cfg", "secret_key = %(SECRET_KEY)s"),
    ]);
}

#[test]
fn postgres_urls_with_ip_hosts() {
    assert_found(&[
        (
            ".env",
            "DATABASE_URL=postgres://app:Kp9mX2vL7qR4@10.0.3.4:5432/app",
            "database-url-password",
        ),
        (
            ".env",
            "DATABASE_URL=postgresql://app:Kp9mX2vL7qR4@127.0.0.1/app",
            "database-url-password",
        ),
        (
            ".env",
            "DATABASE_URL=postgres://app:Kp9mX2vL7qR4@[2001:db8::5]:5432/app",
            "database-url-password",
        ),
    ]);
    assert_quiet(&[(
        ".env",
        "DATABASE_URL=postgres://app:[password]@10.0.3.4:5432/app",
    )]);
}

/// Context on every finding, and what blocks by default.
#[test]
fn each_context_is_recognised_and_generic_findings_block_only_in_source() {
    let generic = "DB_PASSWORD=\"Kp9mX2vL7qR4tZ8w\"\n";
    let cases = [
        ("config/app.env", Context::Source),
        ("tests/fixtures/app.env", Context::Test),
        ("pkg/db/conn_test.go", Context::Test),
        ("docs/setup.env", Context::Example),
        (".env.example", Context::Example),
        ("vendor/github.com/x/y/.env", Context::Vendored),
        ("web/node_modules/pkg/.env", Context::Vendored),
        ("static/app.min.js", Context::Generated),
    ];
    for (path, want) in cases {
        let f = scanner().scan(path, generic.as_bytes());
        assert_eq!(f.len(), 1, "{path}");
        assert_eq!(f[0].context, want, "{path}");
        assert_eq!(f[0].blocking, want == Context::Source, "{path}");
    }
    // A provider-format key blocks wherever it is.
    let live = "key = 'sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0YaZr4Lq8Vm2Kx7Wp3Tn9Bd'\n";
    for (path, want) in cases {
        let f = scanner().scan(path, live.as_bytes());
        assert_eq!(f.len(), 1, "{path}");
        assert_eq!(f[0].context, want);
        assert!(f[0].blocking, "{path}: a provider key must block");
    }
    // Configured: tests fail too.
    let strict = Scanner::new(RuleSet::builtin().unwrap())
        .with_fail_contexts(vec![Context::Source, Context::Test]);
    let f = strict.scan("pkg/db/conn_test.go", generic.as_bytes());
    assert!(f[0].blocking);
    let f = strict.scan("docs/setup.env", generic.as_bytes());
    assert!(!f[0].blocking);
}

#[test]
fn generated_content_is_recognised_without_a_telling_name() {
    let text = "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\nvar x = map[string]string{\"password\": \"Kp9mX2vL7qR4tZ8w\"}\n";
    let f = scanner().scan("api/service.go", text.as_bytes());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].context, Context::Generated);
    assert!(!f[0].blocking);
}
