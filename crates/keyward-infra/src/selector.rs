//! Kubernetes label selectors: `matchLabels` and `matchExpressions` (`In`, `NotIn`,
//! `Exists`, `DoesNotExist`), evaluated as the API server does.

use crate::yaml::Node;

/// One `matchExpressions` requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist` (anything else selects nothing).
    pub operator: String,
    /// Values for `In` / `NotIn`.
    pub values: Vec<String>,
}

/// A label selector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// `matchLabels`.
    pub labels: Vec<(String, String)>,
    /// `matchExpressions`.
    pub exprs: Vec<Expr>,
}

impl Selector {
    /// Read a selector mapping; an absent or null selector is the empty one.
    pub fn parse(node: Option<&Node>) -> Selector {
        let Some(n) = node else {
            return Selector::default();
        };
        let labels = n
            .get("matchLabels")
            .map(Node::entries)
            .unwrap_or(&[])
            .iter()
            .map(|e| (e.key.clone(), e.value.as_str().unwrap_or("").to_string()))
            .collect();
        let exprs = n
            .get("matchExpressions")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .map(|x| Expr {
                key: x
                    .get("key")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
                operator: x
                    .get("operator")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
                values: x
                    .get("values")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            })
            .collect();
        Selector { labels, exprs }
    }

    /// Selects everything (`{}`).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.exprs.is_empty()
    }

    /// Does the selector select an object with these labels?
    pub fn matches<K: AsRef<str>, V: AsRef<str>>(&self, labels: &[(K, V)]) -> bool {
        let get = |k: &str| {
            labels
                .iter()
                .find(|(lk, _)| lk.as_ref() == k)
                .map(|(_, v)| v.as_ref())
        };
        self.labels.iter().all(|(k, v)| get(k) == Some(v.as_str()))
            && self.exprs.iter().all(|e| {
                let have = get(&e.key);
                match e.operator.as_str() {
                    "In" => have.is_some_and(|v| e.values.iter().any(|x| x == v)),
                    "NotIn" => have.is_none_or(|v| !e.values.iter().any(|x| x == v)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => false,
                }
            })
    }

    /// `app=web, tier in (a,b)`, for notes.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "{} (everything)".into();
        }
        let mut parts: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.extend(self.exprs.iter().map(|e| match e.operator.as_str() {
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            op => format!(
                "{} {} ({})",
                e.key,
                op.to_ascii_lowercase(),
                e.values.join(",")
            ),
        }));
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_stream;

    fn sel(text: &str) -> Selector {
        let docs = parse_stream(text);
        Selector::parse(Some(&docs[0].as_ref().unwrap().root))
    }

    #[test]
    fn labels_and_expressions() {
        let s = sel("matchLabels: {app: web}\nmatchExpressions:\n  - {key: tier, operator: In, values: [front, edge]}\n  - {key: legacy, operator: DoesNotExist}\n");
        assert!(s.matches(&[("app", "web"), ("tier", "edge")]));
        assert!(!s.matches(&[("app", "web"), ("tier", "back")]));
        assert!(!s.matches(&[("app", "web"), ("tier", "edge"), ("legacy", "1")]));
        assert!(!s.matches(&[("tier", "edge")]));
        let s = sel("matchExpressions: [{key: env, operator: NotIn, values: [dev]}, {key: app, operator: Exists}]\n");
        assert!(s.matches(&[("app", "x")]));
        assert!(!s.matches(&[("app", "x"), ("env", "dev")]));
        let s = sel("matchExpressions: [{key: a, operator: Bogus}]\n");
        assert!(!s.matches(&[("a", "1")]));
        assert!(Selector::parse(None).matches::<&str, &str>(&[]));
    }
}
