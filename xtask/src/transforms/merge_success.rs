//! `merge-success-responses`: gives every 2xx response of an operation the same schema, the one
//! that contains all the others.
//!
//! progenitor 0.15 accepts one success type per operation and panics otherwise. HubSpot declares
//! 200 and 207 with two schemas, where the 207 one has every field of the 200 one plus `errors`
//! and `numErrors`, so the 207 schema decodes both bodies. When no schema contains all the others,
//! merging would lose fields, and the transform fails with the reason.
//!
//! `x-schema-names` maps `METHOD /path` to the name the shared schema gets in
//! `components.schemas`. HubSpot's name for it changes between versions of the spec (a version
//! without the 207 has only the 200 schema), and a fixed name keeps the generated type, and the
//! code that uses it, the same.

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Map, Value};

use super::operations::{OperationPattern, for_each_operation, resolve_ref};

/// Keys that document a schema without changing what it accepts.
const DOC_KEYS: &[&str] = &["description", "example", "examples"];

pub fn run(spec: &mut Value, params: &Map<String, Value>) -> Result<()> {
    let mut names = schema_names(params)?;
    let snapshot = spec.clone();
    let mut documented = Vec::new();
    let mut renames = Vec::new();
    for_each_operation(spec, |method, path, operation| {
        let label = format!("{} {path}", method.to_ascii_uppercase());
        if let Some(merged) = merge_operation(&snapshot, &label, operation)? {
            documented.push(merged);
        }
        if let Some((_, name, used)) = names
            .iter_mut()
            .find(|(pattern, _, _)| pattern.matches(method, path))
        {
            *used = true;
            if let Some(reference) = success_reference(&snapshot, operation)? {
                renames.push((label, reference, name.clone()));
            }
        }
        Ok(())
    })?;
    for (reference, others) in documented {
        copy_property_descriptions(spec, &reference, &others);
    }
    for (label, reference, name) in renames {
        rename_schema(spec, &reference, &name)
            .with_context(|| format!("{label}: cannot name the success schema {name}"))?;
    }
    if let Some((pattern, _, _)) = names.iter().find(|(_, _, used)| !used) {
        bail!("no operation matches {pattern}, which `x-schema-names` lists");
    }
    Ok(())
}

/// Parses `x-schema-names`, if given, into (operation, schema name, matched yet).
fn schema_names(params: &Map<String, Value>) -> Result<Vec<(OperationPattern, String, bool)>> {
    let Some(table) = params.get("x-schema-names") else {
        return Ok(Vec::new());
    };
    let table: Map<String, Value> = serde_json::from_value(table.clone())
        .context("`x-schema-names` must map `METHOD /path` to a schema name")?;
    table
        .iter()
        .map(|(operation, name)| {
            let name = name
                .as_str()
                .filter(|name| is_schema_name(name))
                .with_context(|| {
                    format!("the schema name for {operation} must be an UpperCamelCase identifier")
                })?;
            Ok((OperationPattern::parse(operation)?, name.to_owned(), false))
        })
        .collect()
}

fn is_schema_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|first| first.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Returns the `$ref` of the schema that the operation's 2xx responses share, once merged.
fn success_reference(spec: &Value, operation: &Map<String, Value>) -> Result<Option<String>> {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        return Ok(None);
    };
    for (status, response) in responses {
        if !status.starts_with('2') {
            continue;
        }
        let response = match response.get("$ref").and_then(Value::as_str) {
            Some(reference) => resolve_ref(spec, reference)?,
            None => response,
        };
        if let Some(reference) = json_schema(response)
            .and_then(|schema| schema.get("$ref"))
            .and_then(Value::as_str)
        {
            return Ok(Some(reference.to_owned()));
        }
    }
    Ok(None)
}

/// Renames the schema at `reference` to `name` in `components.schemas`, keeping its position, and
/// points every `$ref` to it at the new name.
fn rename_schema(spec: &mut Value, reference: &str, name: &str) -> Result<()> {
    const PREFIX: &str = "#/components/schemas/";
    let Some(old) = reference.strip_prefix(PREFIX) else {
        bail!("{reference} is not a schema of `components.schemas`");
    };
    if old == name {
        return Ok(());
    }
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .context("the spec has no `components.schemas`")?;
    ensure!(
        !schemas.contains_key(name),
        "the spec already has a schema named {name}"
    );
    super::operations::rename_key(schemas, old, name);
    replace_references(spec, reference, &format!("{PREFIX}{name}"));
    Ok(())
}

fn replace_references(node: &mut Value, old: &str, new: &str) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "$ref" && value == old {
                    *value = Value::String(new.to_owned());
                } else {
                    replace_references(value, old, new);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_references(item, old, new)),
        _ => {}
    }
}

/// A 2xx response's status, the schema as the response declares it, and that schema resolved.
struct SuccessSchema<'a> {
    status: String,
    declared: Value,
    resolved: &'a Value,
}

/// Merges the 2xx responses of one operation. Returns the `$ref` of the schema they now share
/// and the schemas it replaced, so that their property descriptions can be kept.
fn merge_operation(
    spec: &Value,
    label: &str,
    operation: &mut Map<String, Value>,
) -> Result<Option<(String, Vec<Value>)>> {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return Ok(None);
    };
    let mut successes = Vec::new();
    for (status, response) in responses.iter() {
        if !status.starts_with('2') {
            continue;
        }
        let response = match response.get("$ref").and_then(Value::as_str) {
            Some(reference) => resolve_ref(spec, reference)?,
            None => response,
        };
        if let Some(declared) = json_schema(response) {
            let resolved = match declared.get("$ref").and_then(Value::as_str) {
                Some(reference) => resolve_ref(spec, reference)?,
                None => declared,
            };
            successes.push(SuccessSchema {
                status: status.clone(),
                declared: declared.clone(),
                resolved,
            });
        }
    }
    if successes
        .iter()
        .all(|success| success.declared == successes[0].declared)
    {
        return Ok(None);
    }

    let Some(widest) = successes.iter().position(|candidate| {
        successes
            .iter()
            .all(|other| contains(candidate.resolved, other.resolved).is_ok())
    }) else {
        bail!(
            "{label}: cannot merge the 2xx responses into one success type: {}",
            reasons(&successes)
        );
    };
    let declared = successes[widest].declared.clone();
    let replaced = successes
        .iter()
        .filter(|success| success.declared != declared)
        .map(|success| success.resolved.clone())
        .collect();

    for (status, response) in responses.iter_mut() {
        if !status.starts_with('2') {
            continue;
        }
        if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
            *response = resolve_ref(spec, reference)?.clone();
        }
        if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
            for media in content.values_mut() {
                if let Some(media) = media.as_object_mut() {
                    media.insert("schema".to_owned(), declared.clone());
                }
            }
        }
    }
    let reference = declared
        .get("$ref")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(reference.map(|reference| (reference, replaced)))
}

/// Returns the schema of a response's JSON body, whatever JSON media type declares it.
fn json_schema(response: &Value) -> Option<&Value> {
    let content = response.get("content")?.as_object()?;
    ["application/json", "*/*"]
        .iter()
        .find_map(|media| content.get(*media))
        .or_else(|| content.values().next())?
        .get("schema")
}

/// Explains why no schema contains all the others: for each schema, the first other schema it
/// does not contain, and why.
fn reasons(successes: &[SuccessSchema<'_>]) -> String {
    let mut reasons = Vec::new();
    for candidate in successes {
        let label = format!(
            "the {} schema ({})",
            candidate.status,
            describe(&candidate.declared)
        );
        if let Err(reason) = check_object(candidate.resolved) {
            reasons.push(format!("{label} {reason}"));
            continue;
        }
        let failure = successes
            .iter()
            .filter(|other| other.declared != candidate.declared)
            .find_map(|other| {
                contains(candidate.resolved, other.resolved)
                    .err()
                    .map(|reason| (other, reason))
            });
        if let Some((other, reason)) = failure {
            reasons.push(format!(
                "{label} does not contain the {} schema ({}): it {reason}",
                other.status,
                describe(&other.declared)
            ));
        }
    }
    reasons.join("; ")
}

/// Checks that `schema` describes a JSON object, the only kind of body this transform merges.
fn check_object(schema: &Value) -> Result<(), String> {
    match schema.get("type") {
        Some(kind) if kind != "object" => Err(format!("is of type {kind}, not an object")),
        _ => Ok(()),
    }
}

fn describe(declared: &Value) -> String {
    match declared.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference.to_owned(),
        None => "inline".to_owned(),
    }
}

/// Checks that every body `narrow` accepts, `wide` accepts too, for object schemas: `wide` has
/// each property of `narrow` with the same schema, and requires nothing that `narrow` does not.
fn contains(wide: &Value, narrow: &Value) -> Result<(), String> {
    let properties = |schema: &Value| {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let required = |schema: &Value| -> Vec<Value> {
        schema
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    check_object(wide)?;
    check_object(narrow)?;
    let wide_properties = properties(wide);
    for (name, schema) in properties(narrow) {
        match wide_properties.get(&name) {
            None => return Err(format!("lacks property `{name}`")),
            Some(wide_schema) if strip_docs(wide_schema) != strip_docs(&schema) => {
                return Err(format!("declares property `{name}` with another schema"));
            }
            Some(_) => {}
        }
    }
    let narrow_required = required(narrow);
    if let Some(name) = required(wide)
        .iter()
        .find(|name| !narrow_required.contains(name))
    {
        return Err(format!(
            "requires {name}, which the other schema leaves optional"
        ));
    }
    Ok(())
}

/// Returns `schema` without documentation keys and extensions, at every depth.
fn strip_docs(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !DOC_KEYS.contains(&key.as_str()) && !key.starts_with("x-"))
                .map(|(key, value)| (key.clone(), strip_docs(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_docs).collect()),
        other => other.clone(),
    }
}

/// Gives the properties of the kept schema the descriptions that only the replaced schemas had.
fn copy_property_descriptions(spec: &mut Value, reference: &str, others: &[Value]) {
    let Some(pointer) = reference.strip_prefix('#') else {
        return;
    };
    let Some(properties) = spec
        .pointer_mut(pointer)
        .and_then(|schema| schema.get_mut("properties"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        let Some(property) = property.as_object_mut() else {
            continue;
        };
        if property.contains_key("description") || property.contains_key("$ref") {
            continue;
        }
        let description = others
            .iter()
            .find_map(|other| other.pointer(&format!("/properties/{name}/description")));
        if let Some(description) = description {
            // Keep `description` where the spec usually writes it: after `type`.
            let index = usize::from(property.contains_key("type"));
            property.shift_insert(index, "description".to_owned(), description.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(ok: Value, multi: Value) -> Value {
        json!({
            "paths": {"/read": {"post": {"responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ok"}}}},
                "207": {"description": "multi", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Multi"}}}},
            }}}},
            "components": {"schemas": {"Ok": ok, "Multi": multi}},
        })
    }

    fn names(table: Value) -> Map<String, Value> {
        json!({"x-schema-names": table})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn names_merged_schema_and_updates_references() {
        let mut document = spec(
            json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}),
        );
        run(&mut document, &names(json!({"POST /read": "ReadResponse"}))).unwrap();
        let schemas: Vec<&String> = document["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(schemas, ["Ok", "ReadResponse"]);
        let responses = &document["paths"]["/read"]["post"]["responses"];
        assert_eq!(
            responses["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ReadResponse"
        );
        assert_eq!(
            responses["207"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ReadResponse"
        );
    }

    #[test]
    fn names_single_success_schema() {
        let mut document = json!({
            "paths": {"/read": {"post": {"responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ok"}}}},
            }}}},
            "components": {"schemas": {"Ok": {"type": "object"}}},
        });
        run(&mut document, &names(json!({"POST /read": "ReadResponse"}))).unwrap();
        assert!(
            document["components"]["schemas"]
                .get("ReadResponse")
                .is_some()
        );
        assert!(document["components"]["schemas"].get("Ok").is_none());
    }

    #[test]
    fn schema_name_taken_is_an_error() {
        let mut document = spec(
            json!({"type": "object"}),
            json!({"type": "object", "properties": {"b": {}}}),
        );
        let error = format!(
            "{:#}",
            run(&mut document, &names(json!({"POST /read": "Ok"}))).unwrap_err()
        );
        assert!(error.contains("already has a schema named Ok"), "{error}");
    }

    #[test]
    fn schema_name_for_unknown_operation_is_an_error() {
        let mut document = spec(json!({"type": "object"}), json!({"type": "object"}));
        let error = run(&mut document, &names(json!({"GET /other": "Other"})))
            .unwrap_err()
            .to_string();
        assert!(error.contains("no operation matches GET /other"), "{error}");
    }

    #[test]
    fn merges_into_superset_schema() {
        let mut document = spec(
            json!({"type": "object", "required": ["results"], "properties": {
                "results": {"type": "array", "description": "The results.", "items": {"type": "integer"}},
            }}),
            json!({"type": "object", "required": ["results"], "properties": {
                "results": {"type": "array", "items": {"type": "integer"}},
                "errors": {"type": "array", "items": {"type": "string"}},
            }}),
        );
        run(&mut document, &Map::new()).unwrap();
        let responses = &document["paths"]["/read"]["post"]["responses"];
        assert_eq!(
            responses["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Multi"
        );
        assert_eq!(
            responses["207"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Multi"
        );
        assert_eq!(
            document["components"]["schemas"]["Multi"]["properties"]["results"]["description"],
            "The results."
        );
    }

    #[test]
    fn differing_property_is_an_error() {
        let mut document = spec(
            json!({"type": "object", "properties": {"id": {"type": "integer", "format": "int32"}}}),
            json!({"type": "object", "properties": {"id": {"type": "string"}, "errors": {"type": "array"}}}),
        );
        let error = run(&mut document, &Map::new()).unwrap_err().to_string();
        assert!(
            error.contains("POST /read: cannot merge the 2xx responses"),
            "{error}"
        );
        assert!(
            error.contains("the 207 schema (#/components/schemas/Multi) does not contain the 200 schema (#/components/schemas/Ok): it declares property `id` with another schema"),
            "{error}"
        );
    }

    #[test]
    fn disjoint_properties_are_an_error() {
        let mut document = spec(
            json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            json!({"type": "object", "properties": {"b": {"type": "string"}}}),
        );
        let error = run(&mut document, &Map::new()).unwrap_err().to_string();
        assert!(error.contains("lacks property `a`"), "{error}");
        assert!(error.contains("lacks property `b`"), "{error}");
    }

    #[test]
    fn wider_schema_requiring_more_is_an_error() {
        let mut document = spec(
            json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            json!({"type": "object", "required": ["b"], "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}),
        );
        let error = run(&mut document, &Map::new()).unwrap_err().to_string();
        assert!(
            error.contains("requires \"b\", which the other schema leaves optional"),
            "{error}"
        );
    }

    #[test]
    fn non_object_schema_is_named() {
        let mut document = spec(
            json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            json!({"type": "array", "items": {"type": "string"}}),
        );
        let error = run(&mut document, &Map::new()).unwrap_err().to_string();
        assert!(
            error.contains(
                "the 207 schema (#/components/schemas/Multi) is of type \"array\", not an object"
            ),
            "{error}"
        );
    }

    #[test]
    fn single_success_is_unchanged() {
        let mut document = json!({"paths": {"/read": {"post": {"responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}},
        }}}}});
        let before = document.clone();
        run(&mut document, &Map::new()).unwrap();
        assert_eq!(document, before);
    }
}
