//! JSON lockfiles (package-lock.json, Pipfile.lock, bun.lock) are read with
//! `jsonc-parser`, whose syntax tree keeps byte ranges, so each package gets the line of
//! its key. bun.lock is JSONC (trailing commas); the others are parsed strictly.

use super::lines::LineIndex;
use crate::error::DepsError;
use jsonc_parser::ast::{Object, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};

/// A parsed JSON document and its line index.
pub struct Doc<'a> {
    /// The root value.
    pub root: Value<'a>,
    lines: LineIndex,
}

impl<'a> Doc<'a> {
    /// Parse `text`; `loose` allows comments and trailing commas (bun.lock).
    pub fn parse(path: &str, text: &'a str, loose: bool) -> Result<Doc<'a>, DepsError> {
        let opts = if loose {
            ParseOptions::default()
        } else {
            ParseOptions {
                allow_comments: false,
                allow_loose_object_property_names: false,
                allow_trailing_commas: false,
                allow_missing_commas: false,
                allow_single_quoted_strings: false,
                allow_hexadecimal_numbers: false,
                allow_unary_plus_numbers: false,
                allow_bare_decimal_point_numbers: false,
                allow_non_finite_numbers: false,
                allow_extended_string_escapes: false,
            }
        };
        let parsed =
            jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &opts).map_err(|e| {
                DepsError::lockfile(
                    path,
                    e.line_display(),
                    format!("invalid JSON: {}", e.kind()),
                )
            })?;
        let root = parsed
            .value
            .ok_or_else(|| DepsError::lockfile(path, 1, "empty file, expected a JSON object"))?;
        Ok(Doc {
            root,
            lines: LineIndex::new(text),
        })
    }

    /// The root object, or an error naming what the file holds instead.
    pub fn root_object(&self, path: &str) -> Result<&Object<'a>, DepsError> {
        match &self.root {
            Value::Object(o) => Ok(o),
            other => Err(DepsError::lockfile(
                path,
                self.lines.line(other.range().start),
                format!("expected a JSON object, found {}", kind(other)),
            )),
        }
    }

    /// 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }
}

/// A short name of a value's type for error messages.
pub fn kind(v: &Value<'_>) -> &'static str {
    match v {
        Value::StringLit(_) => "a string",
        Value::NumberLit(_) => "a number",
        Value::BooleanLit(_) => "a boolean",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::NullKeyword(_) => "null",
    }
}

/// The string value of property `name`, if it is a string.
pub fn string<'b>(o: &'b Object<'_>, name: &str) -> Option<&'b str> {
    o.get_string(name).map(|s| s.value.as_ref())
}
