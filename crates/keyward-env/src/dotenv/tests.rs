use super::*;

fn values(text: &str) -> Vec<(String, String)> {
    parse(text)
        .unwrap()
        .entries()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect()
}

fn one(text: &str) -> String {
    let v = values(text);
    assert_eq!(v.len(), 1, "{text:?}");
    v[0].1.clone()
}

#[test]
fn plain_export_and_blanks() {
    assert_eq!(one("A=b\n"), "b");
    assert_eq!(one("export A=b"), "b");
    assert_eq!(one("  A = b  \n"), "b");
    assert_eq!(one("A=\n"), "");
    assert_eq!(one("A=two words # comment"), "two words");
    assert_eq!(one("A=x#y"), "x#y");
    assert_eq!(one("A=${OTHER}/x"), "${OTHER}/x");
    assert_eq!(one("A=b\r\n"), "b");
}

#[test]
fn quotes() {
    assert_eq!(one("A='a \"b\" $c `d`'"), "a \"b\" $c `d`");
    assert_eq!(one(r#"A="a\"b\\c\$d\nE""#), "a\"b\\c$d\nE");
    assert_eq!(one(r#"A="C:\path""#), r"C:\path");
    assert_eq!(one(r"A='it'\''s'"), "it's");
    assert_eq!(values("A='line1\nline2'\nB=c")[0].1, "line1\nline2");
    assert_eq!(one("A=\"x\" # c"), "x");
}

#[test]
fn comments_and_lines_kept() {
    let text = "# head\n\nA=1 # one\nexport B='two'\n";
    let doc = parse(text).unwrap();
    assert_eq!(doc.render(), text);
    let b = doc.entries().nth(1).unwrap();
    assert_eq!((b.line, b.column), (4, 1));
    assert!(b.export);
}

#[test]
fn set_rerenders_only_changed_entries() {
    let mut doc = parse("# c\nA=1 # keep\nB=2\n").unwrap();
    doc.set("A", "new value");
    doc.set("C", "x");
    assert_eq!(doc.render(), "# c\nA='new value' # keep\nB=2\nC=x\n");
}

#[test]
fn last_duplicate_wins() {
    let doc = parse("A=1\nA=2\n").unwrap();
    assert_eq!(doc.get("A"), Some("2"));
    assert_eq!(doc.entries().count(), 2);
}

#[test]
fn errors_name_line_and_column() {
    let e = parse("A=1\nnot a line\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 5));
    let e = parse("A=1\nB 2\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("expected `=`"), "{e}");
    let e = parse("A=1\nB='open\nC=3\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 3));
    assert!(e.message.contains("unterminated single quote"), "{e}");
    let e = parse("B=\"open").unwrap_err();
    assert!(e.message.contains("unterminated double quote"), "{e}");
    let e = parse("1A=x").unwrap_err();
    assert!(e.message.contains("not a valid variable name"), "{e}");
}

#[test]
fn quoting() {
    assert_eq!(quote_value(""), "");
    assert_eq!(
        quote_value("postgresql://u@h:5432/db?x=1"),
        "'postgresql://u@h:5432/db?x=1'"
    );
    assert_eq!(
        quote_value("a-b_c.d/e:f@g%h+i,j=k"),
        "a-b_c.d/e:f@g%h+i,j=k"
    );
    assert_eq!(quote_value("~/x"), "'~/x'");
    assert_eq!(quote_value("a'b"), r"'a'\''b'");
}

#[test]
fn entry_debug_hides_value() {
    let doc = parse("A=hunter2-secret").unwrap();
    let shown = format!("{:?}", doc);
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn parse_errors_never_echo_secret_text() {
    // Fake tokens.
    let token = "ghp_R8x2Lq9VwT4nB7mK3pZ5cY1hJ6dF0sA2eG8u"; // keyward:allow test fixture
    let live = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"; // keyward:allow test fixture
    let aws = "AKIAIOSFODNN7EXAMPLE"; // keyward:allow test fixture
    for (text, secret, line, column) in [
        (format!("A=1\n{token}\n"), token, 2, 41),
        (format!("A=1\n  {token} more\n"), token, 2, 44),
        (format!("\"{live}\"=x\n"), live, 1, 1),
        (format!("{live}\n"), live, 1, 33),
        (format!("export 9{live}=x\n"), live, 1, 8),
        (format!("{aws} x\n"), aws, 1, 22),
    ] {
        let e = parse(&text).unwrap_err();
        let shown = e.to_string();
        assert_eq!((e.line, e.column), (line, column), "{shown}");
        for piece in [secret, &secret[..8], &secret[secret.len() - 8..]] {
            assert!(!shown.contains(piece), "{text:?} -> {shown}");
        }
    }
    // A conventional name is still named, cut to 12 characters.
    let e = parse("DATABASE_URL postgres://u:pw@h/db\n").unwrap_err();
    assert!(e.message.contains("after `DATABASE_URL`"), "{e}");
    assert!(!e.message.contains("pw"), "{e}");
    let e = parse("STRIPE_SECRET_KEY_PROD sk\n").unwrap_err();
    assert!(e.message.contains("`STRIPE_SECRE…`"), "{e}");
    let e = parse("1PASSWORD=x\n").unwrap_err();
    assert!(
        e.message
            .contains("`1PASSWORD` is not a valid variable name"),
        "{e}"
    );
}
