//! `split-default-response`: replaces each operation's `default` response with the statuses in
//! `x-statuses`, such as `4XX` and `5XX`.
//!
//! progenitor counts `default` as a possible success as well as an error, so an operation with
//! a 2xx body and a `default` body has two success types, which progenitor 0.15 rejects. Explicit
//! error ranges make the error body an error only.

use anyhow::{Context, Result, ensure};
use serde_json::{Map, Value};

use super::operations::for_each_operation;
use super::param;

pub fn run(spec: &mut Value, params: &Map<String, Value>) -> Result<()> {
    let statuses: Vec<String> = serde_json::from_value(param(params, "statuses")?.clone())
        .context("`x-statuses` must be a list of statuses such as \"4XX\"")?;
    for status in &statuses {
        ensure!(
            is_error_status(status),
            "{status:?} in `x-statuses` is not a 4xx or 5xx status or range"
        );
    }
    for_each_operation(spec, |_, _, operation| {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            return Ok(());
        };
        let Some(index) = responses.keys().position(|status| status == "default") else {
            return Ok(());
        };
        let mut response = responses
            .shift_remove("default")
            .expect("the key was just found");
        // OpenAPI 3.0 ignores the siblings of `$ref`; dropping them keeps parsers strict about it.
        if let Some(map) = response
            .as_object_mut()
            .filter(|map| map.contains_key("$ref"))
        {
            map.retain(|key, _| key == "$ref");
        }
        let mut position = index;
        for status in &statuses {
            if !responses.contains_key(status) {
                responses.shift_insert(position, status.clone(), response.clone());
                position += 1;
            }
        }
        Ok(())
    })
}

fn is_error_status(status: &str) -> bool {
    let bytes = status.as_bytes();
    bytes.len() == 3
        && matches!(bytes[0], b'4' | b'5')
        && (bytes[1..].iter().all(u8::is_ascii_digit) || &bytes[1..] == b"XX")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params() -> Map<String, Value> {
        json!({"x-statuses": ["4XX", "5XX"]})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn replaces_default_with_ranges() {
        let mut spec = json!({"paths": {"/read": {"post": {"responses": {
            "200": {"description": "ok"},
            "default": {"description": "", "$ref": "#/components/responses/Error"},
        }}}}});
        run(&mut spec, &params()).unwrap();
        assert_eq!(
            spec["paths"]["/read"]["post"]["responses"],
            json!({
                "200": {"description": "ok"},
                "4XX": {"$ref": "#/components/responses/Error"},
                "5XX": {"$ref": "#/components/responses/Error"},
            })
        );
    }

    #[test]
    fn keeps_explicit_error_status() {
        let mut spec = json!({"paths": {"/read": {"post": {"responses": {
            "4XX": {"description": "client"},
            "default": {"description": "other"},
        }}}}});
        run(&mut spec, &params()).unwrap();
        assert_eq!(
            spec["paths"]["/read"]["post"]["responses"],
            json!({"4XX": {"description": "client"}, "5XX": {"description": "other"}})
        );
    }

    #[test]
    fn success_status_is_rejected() {
        let mut spec = json!({"paths": {}});
        let params = json!({"x-statuses": ["2XX"]}).as_object().unwrap().clone();
        let error = run(&mut spec, &params).unwrap_err().to_string();
        assert!(error.contains("\"2XX\""), "{error}");
    }
}
