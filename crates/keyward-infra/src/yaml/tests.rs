//! Tests of the YAML tree: lines, documents, aliases and merge keys.
use super::*;

fn one(text: &str) -> Node {
    let mut docs = parse_stream(text);
    assert_eq!(docs.len(), 1, "{docs:?}");
    docs.remove(0).unwrap().root
}

#[test]
fn keys_and_values_know_their_lines() {
    let n = one("a: 1\nb:\n  c: true\n  d: [x, 'y']\n  e:\n");
    assert_eq!(n.entry("b").unwrap().line, 2);
    let c = n.path("b.c").unwrap();
    assert_eq!((c.line, c.column), (3, 6));
    assert_eq!(c.as_bool(), Some(true));
    assert_eq!(n.get("a").unwrap().as_i64(), Some(1));
    let d = n.path("b.d").unwrap().items();
    assert_eq!(d[1].as_str(), Some("y"));
    assert!(n.path("b.e").unwrap().is_null());
    assert_eq!(n.path("b.e").unwrap().as_str(), None);
}

#[test]
fn quoted_scalars_are_strings() {
    let n = one("a: \"true\"\nb: '1000'\nc: ~\n");
    assert_eq!(n.get("a").unwrap().as_bool(), None);
    assert_eq!(n.get("b").unwrap().as_i64(), None);
    assert!(n.get("c").unwrap().is_null());
}

#[test]
fn documents_keep_stream_lines_and_bad_ones_do_not_stop_the_rest() {
    let docs = parse_stream("# head\na: 1\n---\nb: [1,\n---\nc:\n  d: 2\n");
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0].as_ref().unwrap().root.entry("a").unwrap().line, 2);
    let err = docs[1].as_ref().unwrap_err();
    assert!(err.line >= 4 && err.line <= 5, "{err:?}");
    let d = docs[2].as_ref().unwrap();
    assert_eq!(d.root.path("c.d").unwrap().line, 7);
}

#[test]
fn comment_only_chunks_make_no_document() {
    assert_eq!(parse_stream("---\n# nothing\n---\na: 1\n").len(), 1);
    assert!(parse_stream("").is_empty());
}

#[test]
fn markers_inside_values_do_not_split() {
    let n = one("a: |\n  ---\n  text\nb: '---'\n");
    assert_eq!(n.get("a").unwrap().as_str(), Some("---\ntext\n"));
}

#[test]
fn merge_keys_and_aliases() {
    let n = one("x: &base\n  image: app:1\n  user: root\ns:\n  <<: *base\n  user: app\nt: *base\n");
    let s = n.get("s").unwrap();
    assert_eq!(s.get("user").unwrap().as_str(), Some("app"));
    assert_eq!(s.get("image").unwrap().as_str(), Some("app:1"));
    assert_eq!(s.get("image").unwrap().line, 2);
    assert!(s.get("<<").is_none());
    assert_eq!(n.path("t.user").unwrap().as_str(), Some("root"));
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let docs = parse_stream(&text);
    assert!(docs[0].as_ref().unwrap_err().message.contains("aliases"));
}

#[test]
fn json_is_yaml() {
    let n = one("{\n\t\"a\": {\"b\": [1, 2]},\n\t\"c\": \"d\"\n}\n");
    assert_eq!(n.path("a.b").unwrap().items().len(), 2);
    assert_eq!(n.get("c").unwrap().line, 3);
}
