//! Walking the operations of a spec and matching them by method and path.

use std::fmt;

use anyhow::{Result, bail};
use serde_json::{Map, Value};

/// The HTTP methods an OpenAPI 3.0 path item can hold operations for.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A pattern such as `POST /automation/*/workflow-id-mappings/batch/read`: a method and a path
/// whose `*` or `{name}` segments match any one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationPattern {
    method: String,
    segments: Vec<String>,
}

impl OperationPattern {
    /// Parses `METHOD /path`.
    pub fn parse(text: &str) -> Result<Self> {
        let Some((method, path)) = text.split_once(' ') else {
            bail!("invalid operation {text:?}; write it as `METHOD /path`");
        };
        let method = method.to_ascii_lowercase();
        if !METHODS.contains(&method.as_str()) || !path.starts_with('/') {
            bail!("invalid operation {text:?}; write it as `METHOD /path`");
        }
        Ok(Self {
            method,
            segments: path.split('/').map(str::to_owned).collect(),
        })
    }

    /// Returns whether the operation at `method` and `path` matches.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').collect();
        self.method == method
            && segments.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(segments)
                .all(|(pattern, segment)| is_wildcard(pattern) || pattern == segment)
    }
}

impl fmt::Display for OperationPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.method.to_ascii_uppercase(),
            self.segments.join("/")
        )
    }
}

fn is_wildcard(segment: &str) -> bool {
    segment == "*" || (segment.starts_with('{') && segment.ends_with('}'))
}

/// Returns the `paths` object of a spec.
pub fn paths_mut(spec: &mut Value) -> Result<&mut Map<String, Value>> {
    match spec.get_mut("paths").and_then(Value::as_object_mut) {
        Some(paths) => Ok(paths),
        None => bail!("the spec has no `paths` object"),
    }
}

/// Returns `METHOD /path` for every operation of the spec, in document order.
pub fn operation_keys(spec: &Value) -> Vec<String> {
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(*method).is_some() {
                keys.push(format!("{} {path}", method.to_ascii_uppercase()));
            }
        }
    }
    keys
}

/// Calls `visit` with the method, path and body of every operation of the spec.
pub fn for_each_operation(
    spec: &mut Value,
    mut visit: impl FnMut(&str, &str, &mut Map<String, Value>) -> Result<()>,
) -> Result<()> {
    for (path, item) in paths_mut(spec)?.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if let (true, Some(operation)) = (
                METHODS.contains(&method.as_str()),
                operation.as_object_mut(),
            ) {
                visit(method, path, operation)?;
            }
        }
    }
    Ok(())
}

/// Replaces the key `old` of `map` with `new`, keeping its position.
pub fn rename_key(map: &mut Map<String, Value>, old: &str, new: &str) {
    if let Some(index) = map.keys().position(|key| key == old) {
        let value = map.shift_remove(old).expect("the key was just found");
        map.shift_insert(index, new.to_owned(), value);
    }
}

/// Returns the node a local `$ref` such as `#/components/schemas/Error` points to.
pub fn resolve_ref<'a>(spec: &'a Value, reference: &str) -> Result<&'a Value> {
    let Some(pointer) = reference.strip_prefix('#') else {
        bail!("{reference} is not a local reference; only `#/...` references are supported");
    };
    match spec.pointer(pointer) {
        Some(node) => Ok(node),
        None => bail!("{reference} is referenced but not defined"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_matches_wildcard_segment() {
        let pattern = OperationPattern::parse("POST /automation/*/batch/read").unwrap();
        assert!(pattern.matches("post", "/automation/v4/batch/read"));
        assert!(pattern.matches("post", "/automation/2026-09-beta/batch/read"));
    }

    #[test]
    fn pattern_rejects_other_method_or_length() {
        let pattern = OperationPattern::parse("POST /automation/{version}/batch/read").unwrap();
        assert!(!pattern.matches("get", "/automation/v4/batch/read"));
        assert!(!pattern.matches("post", "/automation/v4/batch/read/extra"));
        assert!(!pattern.matches("post", "/automation/v4/flows/read"));
    }

    #[test]
    fn pattern_without_method_is_rejected() {
        assert!(OperationPattern::parse("/automation/v4").is_err());
        assert!(OperationPattern::parse("FETCH /automation/v4").is_err());
    }
}
