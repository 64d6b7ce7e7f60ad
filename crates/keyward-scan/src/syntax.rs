//! What kind of token an assigned value is, judged by the language of the file.
//!
//! A generic rule matches `name = value`. Whether `value` can be a credential depends on
//! the file's syntax: in a dotenv, YAML, INI or shell file an unquoted value *is* a
//! literal string, but in Go, Python, Ruby, Java, C#, PHP, JS/TS, HCL or CUE an unquoted
//! value is code — an identifier, a call, a field, a dereference, a struct literal, a type
//! or a number — and never holds a secret, unless it sits inside a string literal (a
//! connection string or a command line held in a string). In JSON and TOML an unquoted
//! value is a number, a boolean or null.
//!
//! This is a line-local lexer, not a parser: it tracks quotes and comment markers from the
//! start of the line to the value, which is enough to tell the three places apart.

/// The syntax family of a file, from its name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// Not known (no extension, prose, markup): only the generic filters apply.
    #[default]
    Unknown,
    /// Unquoted values are literal strings: dotenv, YAML, INI, `.properties`, shell,
    /// Dockerfiles, Makefiles.
    Literal,
    /// Unquoted values are numbers, booleans or null: JSON, TOML.
    Typed,
    /// A programming language; unquoted values are expressions. The comment markers.
    Code(Comments),
}

/// Line-comment markers of a programming language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comments {
    /// `//` (and `/* … */`, `*` continuation lines).
    pub slashes: bool,
    /// `#`.
    pub hash: bool,
    /// `--` (SQL, Lua).
    pub dashes: bool,
}

const C_LIKE: Comments = Comments {
    slashes: true,
    hash: false,
    dashes: false,
};
const HASH: Comments = Comments {
    slashes: false,
    hash: true,
    dashes: false,
};
const BOTH: Comments = Comments {
    slashes: true,
    hash: true,
    dashes: false,
};
const DASHES: Comments = Comments {
    slashes: false,
    hash: false,
    dashes: true,
};

impl Lang {
    /// The family of the file at `path`.
    pub fn for_path(path: &str) -> Lang {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        if lower.starts_with(".env") || lower.ends_with(".env") {
            return Lang::Literal;
        }
        if lower == "dockerfile"
            || lower.starts_with("dockerfile.")
            || lower.ends_with(".dockerfile")
            || lower == "makefile"
            || lower == "gnumakefile"
            || lower == ".npmrc"
            || lower == ".pypirc"
            || lower == ".netrc"
        {
            return Lang::Literal;
        }
        if matches!(
            lower.as_str(),
            "gemfile" | "rakefile" | "podfile" | "vagrantfile"
        ) {
            return Lang::Code(HASH);
        }
        if matches!(lower.as_str(), "jenkinsfile") {
            return Lang::Code(C_LIKE);
        }
        // Templates and examples keep the language of what they render.
        let mut stem = lower.as_str();
        for suffix in crate::context::TEMPLATE_SUFFIXES.iter().chain(&[".erb"]) {
            stem = stem.strip_suffix(suffix).unwrap_or(stem);
        }
        let ext = match stem.rsplit_once('.') {
            Some((_, e)) => e,
            None => return Lang::Unknown,
        };
        match ext {
            "yml" | "yaml" | "ini" | "cfg" | "conf" | "cnf" | "properties" | "sh" | "bash"
            | "zsh" | "ksh" | "fish" | "mk" | "service" | "envrc" | "desktop" => Lang::Literal,
            "json" | "jsonc" | "json5" | "toml" | "lock" => Lang::Typed,
            "go" | "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "java" | "kt"
            | "kts" | "scala" | "sc" | "groovy" | "gradle" | "cs" | "fs" | "c" | "h" | "cc"
            | "cpp" | "cxx" | "hpp" | "hh" | "rs" | "swift" | "dart" | "m" | "mm" | "sol"
            | "proto" | "cue" | "vue" | "svelte" | "zig" | "v" => Lang::Code(C_LIKE),
            // HTML and its templates: a secret there is in a quoted attribute or in inline
            // script, where an unquoted value is code (`{password: newPw}` in a `<script>`).
            "html" | "htm" | "xhtml" | "twig" | "hbs" | "handlebars" | "mustache" | "ejs"
            | "njk" | "liquid" => Lang::Code(C_LIKE),
            "py" | "pyi" | "rb" | "rake" | "gemspec" | "pl" | "pm" | "r" | "ex" | "exs" | "cr"
            | "nim" | "jl" | "coffee" | "ps1" | "psm1" => Lang::Code(HASH),
            "php" | "tf" | "tfvars" | "hcl" | "nomad" => Lang::Code(BOTH),
            "sql" | "lua" | "hs" => Lang::Code(DASHES),
            _ => Lang::Unknown,
        }
    }
}

/// The longest line prefix the quote tracker is trusted on; longer lines are minified.
pub const MAX_LEXED_PREFIX: usize = 1000;

/// Where a byte of a line sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Code: identifiers, operators, calls.
    Code,
    /// Inside a string literal opened earlier on the line.
    String,
    /// Inside a comment.
    Comment,
}

/// Where the byte after `prefix` (a line up to some point) sits, for a file in `comments`.
pub fn place(prefix: &[u8], comments: Comments) -> Place {
    let trimmed = prefix.trim_ascii_start();
    // Continuation lines of a block comment (` * …`), and a block comment opening the line.
    if comments.slashes && (trimmed.starts_with(b"* ") || trimmed.starts_with(b"/*")) {
        return Place::Comment;
    }
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < prefix.len() {
        let b = prefix[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' | b'`' => quote = Some(b),
                b'/' if comments.slashes && prefix.get(i + 1) == Some(&b'/') => {
                    // `https://` inside a string never gets here; outside one it is a comment.
                    return Place::Comment;
                }
                b'#' if comments.hash => return Place::Comment,
                b'-' if comments.dashes && prefix.get(i + 1) == Some(&b'-') => {
                    return Place::Comment;
                }
                _ => {}
            },
        }
        i += 1;
    }
    if quote.is_some() {
        Place::String
    } else {
        Place::Code
    }
}

/// How an unquoted value of a generic `name = value` match should be treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bare {
    /// A literal string (dotenv, YAML, shell, or inside a string in code): judge the value.
    Literal,
    /// Code, a comment's prose, or a typed scalar: never a credential.
    NotLiteral,
    /// Unknown language: fall back to the value-shape filters.
    Unknown,
}

/// Judge an unquoted value that starts after `line_prefix` in a file of `lang`.
pub fn bare_value(lang: Lang, line_prefix: &[u8]) -> Bare {
    match lang {
        Lang::Unknown => Bare::Unknown,
        Lang::Literal => Bare::Literal,
        Lang::Typed => match place(line_prefix, HASH) {
            Place::String => Bare::Literal,
            _ => Bare::NotLiteral,
        },
        Lang::Code(c) => match place(line_prefix, c) {
            Place::String => Bare::Literal,
            Place::Code | Place::Comment => Bare::NotLiteral,
        },
    }
}

/// Does `prefix` (a line up to a value) end inside a shell parameter expansion, right
/// after its `:` (`${NAME:`)?
pub fn in_parameter_expansion(prefix: &[u8]) -> bool {
    let Some(body) = prefix.strip_suffix(b":") else {
        return false;
    };
    let open = memchr::memmem::rfind(body, b"${");
    open.is_some_and(|i| {
        body[i + 2..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    })
}

/// An unquoted number: `0xc0406619`, `1234`, `0o755`, `1_000` (in code and typed files
/// these are constants; in literal files only a hex or octal literal is).
pub fn is_number_literal(value: &[u8]) -> bool {
    let v = value.strip_suffix(b"ULL").unwrap_or(value);
    let v = v.strip_suffix(b"UL").unwrap_or(v);
    let v = v.strip_suffix(b"L").unwrap_or(v);
    let v = v.strip_suffix(b"U").unwrap_or(v);
    match v {
        [b'0', b'x' | b'X', rest @ ..] => {
            !rest.is_empty() && rest.len() <= 16 && rest.iter().all(|b| b.is_ascii_hexdigit())
        }
        [b'0', b'o' | b'b', rest @ ..] => {
            !rest.is_empty() && rest.iter().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// A package version or range: `^1.0.0`, `~> 2.3`, `>=1.2,<2`, `1.2.3-beta.1`
/// (`"parse-passwd": "^1.0.0"` in a lockfile or manifest).
pub fn is_version(value: &[u8]) -> bool {
    // A Yarn/npm alias or protocol: `npm:^3.972.80`, `npm:@scope/pkg@^1.2.0`,
    // `workspace:^1.0.0`.
    for protocol in [&b"npm:"[..], b"workspace:"] {
        if let Some(rest) = value.strip_prefix(protocol) {
            let rest = match rest.iter().rposition(|&b| b == b'@') {
                Some(i) if i > 0 => &rest[i + 1..],
                _ => rest,
            };
            return is_version(rest);
        }
    }
    let v = value
        .iter()
        .position(|b| b.is_ascii_digit())
        .map(|i| (&value[..i], &value[i..]));
    let Some((ops, rest)) = v else {
        return false;
    };
    if !ops.iter().all(|b| b"^~<>=v! ".contains(b)) {
        return false;
    }
    let core: Vec<&[u8]> = rest
        .split(|&b| b == b'-' || b == b'+' || b == b',' || b == b' ')
        .collect();
    let first = core[0];
    first.contains(&b'.')
        && first.split(|&b| b == b'.').all(|p| {
            !p.is_empty()
                && p.len() <= 6
                && p.iter()
                    .all(|b| b.is_ascii_digit() || *b == b'x' || *b == b'*')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_name() {
        assert_eq!(Lang::for_path(".env.production"), Lang::Literal);
        assert_eq!(Lang::for_path("deploy/app.env"), Lang::Literal);
        assert_eq!(Lang::for_path("docker-compose.yml"), Lang::Literal);
        assert_eq!(Lang::for_path("Dockerfile"), Lang::Literal);
        assert_eq!(Lang::for_path("scripts/deploy.sh"), Lang::Literal);
        assert_eq!(Lang::for_path("package.json"), Lang::Typed);
        assert_eq!(Lang::for_path("Cargo.toml"), Lang::Typed);
        assert_eq!(Lang::for_path("main.go"), Lang::Code(C_LIKE));
        assert_eq!(Lang::for_path("app/models/user.rb"), Lang::Code(HASH));
        assert_eq!(Lang::for_path("index.php"), Lang::Code(BOTH));
        assert_eq!(Lang::for_path("main.tf"), Lang::Code(BOTH));
        assert_eq!(Lang::for_path("schema.cue"), Lang::Code(C_LIKE));
        assert_eq!(Lang::for_path("settings.py.example"), Lang::Code(HASH));
        assert_eq!(Lang::for_path("README"), Lang::Unknown);
        assert_eq!(Lang::for_path("notes.md"), Lang::Unknown);
        assert_eq!(Lang::for_path("templates/base.twig"), Lang::Code(C_LIKE));
        assert_eq!(Lang::for_path("public/index.html"), Lang::Code(C_LIKE));
    }

    #[test]
    fn places_on_a_line() {
        assert_eq!(place(b"  token := ", C_LIKE), Place::Code);
        assert_eq!(place(b"dsn := \"host=db password=", C_LIKE), Place::String);
        assert_eq!(place(b"// token: ", C_LIKE), Place::Comment);
        assert_eq!(place(b"   * @param token: ", C_LIKE), Place::Comment);
        assert_eq!(place(b"x = 'it\\'s' # token: ", HASH), Place::Comment);
        assert_eq!(place(b"url = \"https://x\" + ", C_LIKE), Place::Code);
        assert_eq!(place(b"s = \"#{a}\" ; b = \"p=", HASH), Place::String);
        assert_eq!(place(b"headers = {\"X-Api-Key\" => ", HASH), Place::Code);
    }

    #[test]
    fn bare_values_by_language() {
        let go = Lang::for_path("x.go");
        assert_eq!(bare_value(go, b"\tm.Secret = "), Bare::NotLiteral);
        assert_eq!(
            bare_value(go, b"\tconn := \"user=a password="),
            Bare::Literal
        );
        assert_eq!(bare_value(Lang::Literal, b"DB_PASSWORD="), Bare::Literal);
        assert_eq!(
            bare_value(Lang::Typed, b"  \"password\": "),
            Bare::NotLiteral
        );
        assert_eq!(
            bare_value(Lang::Typed, b"  \"dsn\": \"password="),
            Bare::Literal
        );
        assert_eq!(bare_value(Lang::Unknown, b"password="), Bare::Unknown);
    }

    #[test]
    fn parameter_expansions() {
        assert!(in_parameter_expansion(b"case \"${MVNW_PASSWORD:"));
        assert!(!in_parameter_expansion(b"MVNW_PASSWORD:"));
        assert!(!in_parameter_expansion(b"echo ${A} PASSWORD:"));
    }

    #[test]
    fn numbers_and_versions() {
        assert!(is_number_literal(b"0xc0406619"));
        assert!(is_number_literal(b"0x10UL"));
        assert!(!is_number_literal(b"0x4f3c9a8b7d6e5f40312a4b5c6d7e8f90"));
        assert!(!is_number_literal(b"Kp9m2xL7"));
        for v in [
            "^1.0.0",
            "~> 2.3",
            ">=1.2,<2",
            "1.2.3-beta.1",
            "v2.0.1",
            "1.x",
            "npm:^3.972.80",
            "npm:@aws-sdk/credential-provider-node@^3.972.0",
            "workspace:^1.0.0",
        ] {
            assert!(is_version(v.as_bytes()), "{v}");
        }
        for v in [
            "Kp9m.2xL7",
            "12345678",
            "1.2.3.Kp9m",
            "abc1.2.3",
            "npm:Kp9m2xL7",
        ] {
            assert!(!is_version(v.as_bytes()), "{v}");
        }
    }
}
