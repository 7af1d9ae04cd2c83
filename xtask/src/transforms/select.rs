//! `select-operations`: keeps the operations that match `x-operations` and drops the rest.
//!
//! HubSpot publishes one file per API with many paths, and progenitor fails on several of the
//! others. This workspace generates only the workflow ID mapping operation.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use super::operations::{METHODS, OperationPattern, operation_keys, paths_mut};
use super::param;

pub fn run(spec: &mut Value, params: &Map<String, Value>) -> Result<()> {
    let patterns: Vec<String> = serde_json::from_value(param(params, "operations")?.clone())
        .context("`x-operations` must be a list of `METHOD /path` strings")?;
    let patterns = patterns
        .iter()
        .map(|text| OperationPattern::parse(text))
        .collect::<Result<Vec<_>>>()?;
    select(spec, &patterns)
}

/// Keeps the operations matching any of `patterns`; a pattern that matches nothing is an error.
pub fn select(spec: &mut Value, patterns: &[OperationPattern]) -> Result<()> {
    let available = operation_keys(spec);
    let mut matched = vec![false; patterns.len()];
    let paths = paths_mut(spec)?;

    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        item.retain(|method, _| {
            if !METHODS.contains(&method.as_str()) {
                return true;
            }
            let mut keep = false;
            for (index, pattern) in patterns.iter().enumerate() {
                if pattern.matches(method, path) {
                    matched[index] = true;
                    keep = true;
                }
            }
            keep
        });
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_some_and(|item| item.keys().any(|key| METHODS.contains(&key.as_str())))
    });

    if let Some(index) = matched.iter().position(|found| !found) {
        bail!(
            "no operation matches `{}`; the spec's operations are: {}",
            patterns[index],
            if available.is_empty() {
                "none".to_owned()
            } else {
                available.join(", ")
            }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(operations: Value) -> Map<String, Value> {
        json!({"x-operations": operations})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn keeps_matching_operation_only() {
        let mut spec = json!({"paths": {
            "/automation/v4/flows": {"get": {}, "post": {}},
            "/automation/v4/workflow-id-mappings/batch/read": {"post": {"operationId": "x"}, "parameters": []},
        }});
        run(
            &mut spec,
            &params(json!([
                "POST /automation/*/workflow-id-mappings/batch/read"
            ])),
        )
        .unwrap();
        assert_eq!(
            spec,
            json!({"paths": {
                "/automation/v4/workflow-id-mappings/batch/read": {"post": {"operationId": "x"}, "parameters": []},
            }})
        );
    }

    #[test]
    fn keeps_other_method_out() {
        let mut spec = json!({"paths": {"/a/v4/read": {"get": {}, "post": {}}}});
        run(&mut spec, &params(json!(["POST /a/*/read"]))).unwrap();
        assert_eq!(spec, json!({"paths": {"/a/v4/read": {"post": {}}}}));
    }

    #[test]
    fn missing_operation_names_pattern_and_available() {
        let mut spec = json!({"paths": {"/automation/v4/flows": {"get": {}}}});
        let error = run(
            &mut spec,
            &params(json!([
                "POST /automation/*/workflow-id-mappings/batch/read"
            ])),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(
                "no operation matches `POST /automation/*/workflow-id-mappings/batch/read`"
            ),
            "{error}"
        );
        assert!(error.contains("GET /automation/v4/flows"), "{error}");
    }

    #[test]
    fn missing_parameter_is_an_error() {
        let mut spec = json!({"paths": {}});
        let error = run(&mut spec, &Map::new()).unwrap_err().to_string();
        assert!(error.contains("x-operations"), "{error}");
    }
}
