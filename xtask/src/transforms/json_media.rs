//! `json-for-wildcard-media`: declares bodies of media type `*/*` as `application/json`.
//!
//! HubSpot declares its shared error response as `*/*` although the body is JSON; progenitor
//! would return such a body as raw bytes instead of the typed error.

use anyhow::Result;
use serde_json::Value;

use super::operations::{for_each_operation, rename_key};

const WILDCARD: &str = "*/*";
const JSON: &str = "application/json";

pub fn run(spec: &mut Value) -> Result<()> {
    for_each_operation(spec, |_, _, operation| {
        if let Some(body) = operation.get_mut("requestBody") {
            use_json(body);
        }
        if let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        {
            responses.values_mut().for_each(use_json);
        }
        Ok(())
    })?;
    for section in ["responses", "requestBodies"] {
        if let Some(entries) = spec
            .pointer_mut(&format!("/components/{section}"))
            .and_then(Value::as_object_mut)
        {
            entries.values_mut().for_each(use_json);
        }
    }
    Ok(())
}

/// Renames the `*/*` entry of a body's `content`, or drops it when a JSON entry exists already.
fn use_json(body: &mut Value) {
    let Some(content) = body.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    if !content.contains_key(WILDCARD) {
        return;
    }
    if content.contains_key(JSON) {
        content.shift_remove(WILDCARD);
    } else {
        rename_key(content, WILDCARD, JSON);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn renames_wildcard_in_components_and_operations() {
        let mut spec = json!({
            "paths": {"/read": {"post": {"responses": {"5XX": {"content": {"*/*": {"schema": {}}}}}}}},
            "components": {"responses": {"Error": {"content": {"*/*": {"schema": {"$ref": "#/x"}}}}}},
        });
        run(&mut spec).unwrap();
        assert_eq!(
            spec["paths"]["/read"]["post"]["responses"]["5XX"]["content"],
            json!({"application/json": {"schema": {}}})
        );
        assert_eq!(
            spec["components"]["responses"]["Error"]["content"],
            json!({"application/json": {"schema": {"$ref": "#/x"}}})
        );
    }

    #[test]
    fn drops_wildcard_beside_json() {
        let mut spec = json!({"paths": {"/read": {"post": {"requestBody": {"content": {
            "*/*": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        }}}}}});
        run(&mut spec).unwrap();
        assert_eq!(
            spec["paths"]["/read"]["post"]["requestBody"]["content"],
            json!({"application/json": {"schema": {"type": "object"}}})
        );
    }
}
