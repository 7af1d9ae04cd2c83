//! Applies an OpenAPI Overlay 1.0 document to a spec.
//!
//! Each action selects nodes with an RFC 9535 JSONPath `target` and either merges `update` into
//! them, deletes them (`remove: true`), or runs a named transform (`x-transform`, see
//! [`crate::transforms`]). Actions run in the order they are listed. Unlike the Overlay
//! specification, an action whose target matches nothing is an error unless it is marked
//! `x-optional: true`: a deviation that no longer applies means HubSpot changed the spec, and the
//! maintainer must look at it. Optional actions cover parts that some published versions lack,
//! such as the 207 response and its error schema.

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::transforms;

/// An Overlay document.
#[derive(Debug, Deserialize)]
pub struct Overlay {
    /// The Overlay specification version, `1.0.0`.
    pub overlay: String,
    /// The actions, applied in order.
    pub actions: Vec<Action>,
}

/// One action of an Overlay document.
#[derive(Debug, Deserialize)]
pub struct Action {
    /// JSONPath that selects the nodes the action applies to.
    pub target: String,
    /// Reason for the deviation.
    pub description: Option<String>,
    /// Value merged into each target node.
    pub update: Option<Value>,
    /// Deletes each target node when true.
    #[serde(default)]
    pub remove: bool,
    /// Every other field, including `x-transform` and its parameters.
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

impl Action {
    /// Returns the name of the transform the action runs, if any.
    pub fn transform(&self) -> Option<&str> {
        self.extensions.get("x-transform").and_then(Value::as_str)
    }

    /// Returns whether the action may match nothing, because some published versions of the spec
    /// lack its target.
    pub fn is_optional(&self) -> bool {
        self.extensions.get("x-optional") == Some(&Value::Bool(true))
    }

    /// Returns a short label for error messages: the position and the first sentence of the
    /// reason.
    pub fn label(&self, index: usize) -> String {
        let reason = self.description.as_deref().unwrap_or("no description");
        let first_sentence = reason.split_once(". ").map_or(reason, |(first, _)| first);
        format!(
            "action {} ({})",
            index + 1,
            first_sentence.trim_end_matches('.')
        )
    }
}

impl Overlay {
    /// Parses an Overlay document and checks that every action has one kind and a description.
    pub fn from_value(value: Value) -> Result<Self> {
        let overlay: Overlay = serde_json::from_value(value).context("invalid Overlay document")?;
        ensure!(
            overlay.overlay.starts_with("1."),
            "unsupported Overlay version {:?}; expected 1.x",
            overlay.overlay
        );
        for (index, action) in overlay.actions.iter().enumerate() {
            let kinds = usize::from(action.update.is_some())
                + usize::from(action.remove)
                + usize::from(action.transform().is_some());
            ensure!(
                kinds == 1,
                "action {} has {kinds} of `update`, `remove: true` and `x-transform`; give exactly one",
                index + 1
            );
            ensure!(
                action
                    .description
                    .as_deref()
                    .is_some_and(|text| !text.trim().is_empty()),
                "action {} has no description; every deviation must state its reason",
                index + 1
            );
        }
        Ok(overlay)
    }

    /// Applies every action to `spec`, in order.
    pub fn apply(&self, spec: &mut Value) -> Result<()> {
        for (index, action) in self.actions.iter().enumerate() {
            apply_action(spec, action).with_context(|| action.label(index))?;
        }
        Ok(())
    }
}

fn apply_action(spec: &mut Value, action: &Action) -> Result<()> {
    let pointers = match target_pointers(spec, &action.target) {
        Err(_) if action.is_optional() && matches_nothing(spec, &action.target) => return Ok(()),
        result => result?,
    };
    if let Some(name) = action.transform() {
        return transforms::run(name, spec, &pointers, &action.extensions);
    }
    if action.remove {
        return remove_nodes(spec, &pointers);
    }
    let update = action
        .update
        .as_ref()
        .expect("checked in Overlay::from_value");
    for pointer in &pointers {
        let node = spec
            .pointer_mut(pointer)
            .expect("pointer came from a query");
        merge_update(node, update);
    }
    Ok(())
}

/// Returns a JSON Pointer for each node the JSONPath `target` selects; none is an error.
pub fn target_pointers(spec: &Value, target: &str) -> Result<Vec<String>> {
    let path = JsonPath::parse(target).with_context(|| format!("invalid JSONPath {target:?}"))?;
    let pointers: Vec<String> = path
        .query_located(spec)
        .locations()
        .map(|location| location.to_json_pointer())
        .collect();
    if pointers.is_empty() {
        bail!(
            "target {target} matches nothing in the spec; if HubSpot renamed or removed that part, \
             update or delete this action, otherwise check what the spec declares there"
        );
    }
    Ok(pointers)
}

fn matches_nothing(spec: &Value, target: &str) -> bool {
    JsonPath::parse(target).is_ok_and(|path| path.query(spec).is_empty())
}

/// Merges `update` into `node` as Overlay 1.0 defines it: object properties are merged
/// recursively, a value appended to an array target, and any other value replaced.
fn merge_update(node: &mut Value, update: &Value) {
    match (node, update) {
        (Value::Object(target), Value::Object(fields)) => {
            for (key, value) in fields {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge_update(existing, value)
                    }
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(items), value) => items.push(value.clone()),
        (node, value) => *node = value.clone(),
    }
}

/// Deletes the nodes at `pointers`, array elements from the last index down so that the
/// remaining pointers stay valid.
fn remove_nodes(spec: &mut Value, pointers: &[String]) -> Result<()> {
    let mut sorted: Vec<&String> = pointers.iter().collect();
    sorted.sort_by_key(|pointer| std::cmp::Reverse(split_pointer(pointer).1.parse::<usize>().ok()));
    for pointer in sorted {
        let (parent_pointer, key) = split_pointer(pointer);
        ensure!(!pointer.is_empty(), "cannot remove the whole document");
        let parent = spec
            .pointer_mut(parent_pointer)
            .expect("the parent of a matched node exists");
        let key = unescape_token(key);
        match parent {
            Value::Object(map) => {
                map.shift_remove(&key);
            }
            Value::Array(items) => {
                let index: usize = key.parse().expect("array pointers end in an index");
                items.remove(index);
            }
            _ => unreachable!("only objects and arrays have children"),
        }
    }
    Ok(())
}

fn split_pointer(pointer: &str) -> (&str, &str) {
    pointer.rsplit_once('/').unwrap_or(("", pointer))
}

fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn apply(spec: &mut Value, actions: Value) -> Result<()> {
        let overlay = Overlay::from_value(json!({"overlay": "1.0.0", "actions": actions}))?;
        overlay.apply(spec)
    }

    #[test]
    fn update_merges_objects_recursively() {
        let mut spec = json!({"a": {"b": {"c": 1, "d": 2}}});
        apply(
            &mut spec,
            json!([{"target": "$.a", "description": "r", "update": {"b": {"d": 3, "e": 4}}}]),
        )
        .unwrap();
        assert_eq!(spec, json!({"a": {"b": {"c": 1, "d": 3, "e": 4}}}));
    }

    #[test]
    fn update_appends_to_array_target() {
        let mut spec = json!({"required": ["a"]});
        apply(
            &mut spec,
            json!([{"target": "$.required", "description": "r", "update": "b"}]),
        )
        .unwrap();
        assert_eq!(spec, json!({"required": ["a", "b"]}));
    }

    #[test]
    fn remove_deletes_filtered_array_elements() {
        let mut spec = json!({"required": ["a", "b", "a", "c"]});
        apply(
            &mut spec,
            json!([{"target": "$.required[?@ == 'a']", "description": "r", "remove": true}]),
        )
        .unwrap();
        assert_eq!(spec, json!({"required": ["b", "c"]}));
    }

    #[test]
    fn remove_keeps_key_order() {
        let mut spec = json!({"a": 1, "b": 2, "c": 3});
        apply(
            &mut spec,
            json!([{"target": "$.a", "description": "r", "remove": true}]),
        )
        .unwrap();
        let keys: Vec<&String> = spec.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "c"]);
    }

    #[test]
    fn target_matching_nothing_is_an_error() {
        let mut spec = json!({"a": 1});
        let error = apply(
            &mut spec,
            json!([{"target": "$.missing", "description": "widen", "remove": true}]),
        )
        .unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("action 1 (widen)"), "{message}");
        assert!(message.contains("$.missing matches nothing"), "{message}");
    }

    #[test]
    fn optional_action_matching_nothing_is_skipped() {
        let mut spec = json!({"a": 1});
        apply(
            &mut spec,
            json!([{"target": "$.missing", "description": "r", "remove": true, "x-optional": true}]),
        )
        .unwrap();
        assert_eq!(spec, json!({"a": 1}));
    }

    #[test]
    fn optional_action_with_invalid_path_is_an_error() {
        let mut spec = json!({"a": 1});
        let error = apply(
            &mut spec,
            json!([{"target": "$[", "description": "r", "remove": true, "x-optional": true}]),
        )
        .unwrap_err();
        assert!(
            format!("{error:#}").contains("invalid JSONPath"),
            "{error:#}"
        );
    }

    #[test]
    fn action_without_description_is_rejected() {
        let error = Overlay::from_value(
            json!({"overlay": "1.0.0", "actions": [{"target": "$", "remove": true}]}),
        )
        .unwrap_err();
        assert!(error.to_string().contains("no description"), "{error}");
    }

    #[test]
    fn action_with_two_kinds_is_rejected() {
        let error = Overlay::from_value(json!({"overlay": "1.0.0", "actions": [
            {"target": "$", "description": "r", "remove": true, "update": {}}
        ]}))
        .unwrap_err();
        assert!(error.to_string().contains("give exactly one"), "{error}");
    }
}
