//! `prune-components`: removes the components, security schemes and tags that no operation
//! reaches any more.
//!
//! After `select-operations`, a whole HubSpot file still carries the schemas of every other
//! operation; progenitor would generate a type for each of them.

use std::collections::BTreeSet;

use anyhow::Result;
use serde_json::Value;

use super::operations::{METHODS, resolve_ref};

/// Component sections whose entries are reached through `$ref`.
const REFERENCED_SECTIONS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
];

pub fn run(spec: &mut Value) -> Result<()> {
    let reached = reached_references(spec)?;
    let schemes = used_security_schemes(spec);
    let tags = used_tags(spec);

    if let Some(components) = spec.get_mut("components").and_then(Value::as_object_mut) {
        for section in REFERENCED_SECTIONS {
            if let Some(entries) = components.get_mut(*section).and_then(Value::as_object_mut) {
                entries
                    .retain(|name, _| reached.contains(&format!("#/components/{section}/{name}")));
            }
        }
        if let Some(entries) = components
            .get_mut("securitySchemes")
            .and_then(Value::as_object_mut)
        {
            entries.retain(|name, _| schemes.contains(name));
        }
        components.retain(|_, section| {
            section
                .as_object()
                .is_none_or(|entries| !entries.is_empty())
        });
    }
    if let Some(list) = spec.get_mut("tags").and_then(Value::as_array_mut) {
        list.retain(|tag| {
            tag.get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| tags.contains(name))
        });
    }
    Ok(())
}

/// Follows `$ref`s from everything outside `components`, transitively.
fn reached_references(spec: &Value) -> Result<BTreeSet<String>> {
    let mut pending = Vec::new();
    if let Some(document) = spec.as_object() {
        for (key, value) in document {
            if key != "components" {
                collect_references(value, &mut pending);
            }
        }
    }
    let mut reached = BTreeSet::new();
    while let Some(reference) = pending.pop() {
        if reached.insert(reference.clone()) {
            collect_references(resolve_ref(spec, &reference)?, &mut pending);
        }
    }
    Ok(reached)
}

fn collect_references(node: &Value, found: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                found.push(reference.clone());
            }
            map.values()
                .for_each(|value| collect_references(value, found));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|value| collect_references(value, found)),
        _ => {}
    }
}

fn operations(spec: &Value) -> impl Iterator<Item = &Value> {
    spec.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .flat_map(|item| METHODS.iter().filter_map(move |method| item.get(*method)))
}

fn used_security_schemes(spec: &Value) -> BTreeSet<String> {
    std::iter::once(spec)
        .chain(operations(spec))
        .filter_map(|node| node.get("security").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().cloned())
        .collect()
}

fn used_tags(spec: &Value) -> BTreeSet<String> {
    operations(spec)
        .filter_map(|operation| operation.get("tags").and_then(Value::as_array))
        .flatten()
        .filter_map(|tag| tag.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn removes_unreached_components_transitively() {
        let mut spec = json!({
            "tags": [{"name": "Batch"}, {"name": "Basic"}],
            "paths": {"/read": {"post": {
                "tags": ["Batch"],
                "security": [{"oauth2": ["automation"]}],
                "responses": {"200": {"$ref": "#/components/responses/Ok"}},
            }}},
            "components": {
                "responses": {"Ok": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outer"}}}}},
                "schemas": {
                    "Outer": {"properties": {"inner": {"$ref": "#/components/schemas/Inner"}}},
                    "Inner": {"type": "string"},
                    "Unused": {"type": "string"},
                },
                "parameters": {"Unused": {}},
                "securitySchemes": {"oauth2": {}, "developer_hapikey": {}},
            },
        });
        run(&mut spec).unwrap();
        let schemas: Vec<&String> = spec["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(schemas, ["Outer", "Inner"]);
        assert!(spec["components"].get("parameters").is_none());
        let schemes: Vec<&String> = spec["components"]["securitySchemes"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(schemes, ["oauth2"]);
        assert_eq!(spec["tags"], json!([{"name": "Batch"}]));
    }

    #[test]
    fn dangling_reference_is_an_error() {
        let mut spec = json!({"paths": {"/read": {"get": {"responses": {"200": {"$ref": "#/components/responses/Gone"}}}}}});
        let error = run(&mut spec).unwrap_err().to_string();
        assert!(
            error.contains("#/components/responses/Gone is referenced but not defined"),
            "{error}"
        );
    }
}
