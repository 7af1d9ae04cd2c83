//! `rename-operations`: sets each operation's `operationId` from the table `x-operation-ids`.
//!
//! HubSpot's operationIds look like `post-/automation/v4/workflow-id-mappings/batch/read`, from
//! which progenitor would derive an unreadable method name; the table gives Rust names instead.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Map, Value};

use super::operations::{OperationPattern, for_each_operation};
use super::param;

pub fn run(spec: &mut Value, params: &Map<String, Value>) -> Result<()> {
    let table: Map<String, Value> = serde_json::from_value(param(params, "operation-ids")?.clone())
        .context("`x-operation-ids` must map `METHOD /path` to a name")?;
    let mut renames = Vec::new();
    let mut names = BTreeSet::new();
    for (operation, name) in &table {
        let name = name
            .as_str()
            .with_context(|| format!("the name for {operation} must be a string"))?;
        ensure!(
            is_snake_case_identifier(name),
            "the name {name:?} for {operation} is not a snake_case Rust identifier"
        );
        ensure!(
            names.insert(name),
            "the name {name:?} is given to two operations"
        );
        renames.push((OperationPattern::parse(operation)?, name.to_owned(), false));
    }

    for_each_operation(spec, |method, path, operation| {
        for (pattern, name, used) in renames.iter_mut() {
            if pattern.matches(method, path) {
                operation.insert("operationId".to_owned(), Value::String(name.clone()));
                *used = true;
            }
        }
        Ok(())
    })?;

    if let Some((pattern, _, _)) = renames.iter().find(|(_, _, used)| !used) {
        bail!("no operation matches {pattern}, which the rename table lists");
    }
    Ok(())
}

fn is_snake_case_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(table: Value) -> Map<String, Value> {
        json!({"x-operation-ids": table})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn sets_operation_id_from_table() {
        let mut spec =
            json!({"paths": {"/a/{v}/read": {"post": {"operationId": "post-/a/v4/read"}}}});
        run(
            &mut spec,
            &params(json!({"POST /a/{v}/read": "read_things"})),
        )
        .unwrap();
        assert_eq!(
            spec["paths"]["/a/{v}/read"]["post"]["operationId"],
            "read_things"
        );
    }

    #[test]
    fn unknown_operation_is_an_error() {
        let mut spec = json!({"paths": {"/a": {"get": {}}}});
        let error = run(&mut spec, &params(json!({"POST /b": "read_b"})))
            .unwrap_err()
            .to_string();
        assert!(error.contains("no operation matches POST /b"), "{error}");
    }

    #[test]
    fn invalid_name_is_an_error() {
        let mut spec = json!({"paths": {"/a": {"get": {}}}});
        let error = run(&mut spec, &params(json!({"GET /a": "Get-A"})))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("not a snake_case Rust identifier"),
            "{error}"
        );
    }
}
