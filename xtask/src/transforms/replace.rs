//! `replace`: replaces each target node with `x-value`.
//!
//! An Overlay `update` can only merge into a node or append to a list. This transform covers the
//! deviations that must drop part of a node, such as a `required` list or a schema's `type`.

use anyhow::Result;
use serde_json::{Map, Value};

use super::param;

pub fn run(spec: &mut Value, targets: &[String], params: &Map<String, Value>) -> Result<()> {
    let value = param(params, "value")?;
    for pointer in targets {
        let node = spec
            .pointer_mut(pointer)
            .expect("pointer came from a query");
        *node = value.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn replaces_each_target() {
        let mut spec = json!({"a": {"required": ["x", "y"]}, "b": {"required": ["z"]}});
        let params = json!({"x-value": ["x"]}).as_object().unwrap().clone();
        run(
            &mut spec,
            &["/a/required".into(), "/b/required".into()],
            &params,
        )
        .unwrap();
        assert_eq!(
            spec,
            json!({"a": {"required": ["x"]}, "b": {"required": ["x"]}})
        );
    }

    #[test]
    fn missing_value_is_an_error() {
        let mut spec = json!({"a": 1});
        let error = run(&mut spec, &["/a".into()], &Map::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains("x-value"), "{error}");
    }
}
