//! Reads a whole spec file as HubSpot publishes it and extracts this workspace's endpoint.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::transforms;

/// The operation this workspace generates, in any version of HubSpot's file.
pub const ENDPOINT: &str = "POST /automation/*/workflow-id-mappings/batch/read";

/// Returns the part of `upstream` that describes the endpoint, in the layout of
/// `spec/workflow-id-mappings.json`: the document's own fields, the one path, and the components,
/// security schemes and tags it uses.
pub fn extract_endpoint(upstream: &Value) -> Result<Value> {
    let Some(document) = upstream.as_object() else {
        bail!("the file is not a JSON object, so it is not an OpenAPI document");
    };
    match document.get("openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.0") => {}
        Some(version) => bail!("the file is OpenAPI {version}; expected OpenAPI 3.0"),
        None => bail!("the file has no `openapi` field, so it is not an OpenAPI 3.0 document"),
    }

    let mut spec = upstream.clone();
    let mut params = Map::new();
    params.insert("x-operations".to_owned(), Value::from(vec![ENDPOINT]));
    transforms::run("select-operations", &mut spec, &[], &params)
        .context("the file does not declare the workflow ID mapping endpoint")?;
    transforms::run("prune-components", &mut spec, &[], &Map::new())
        .context("the endpoint refers to a component the file does not define")?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn extracts_endpoint_from_whole_file() {
        let upstream = json!({
            "openapi": "3.0.1",
            "info": {"title": "Automation", "version": "v4"},
            "paths": {
                "/automation/v4/flows": {"get": {"responses": {"200": {"$ref": "#/components/responses/Flows"}}}},
                "/automation/2026-09-beta/workflow-id-mappings/batch/read": {"post": {
                    "responses": {"200": {"description": "ok"}},
                }},
            },
            "components": {"responses": {"Flows": {"description": "flows"}}},
        });
        let spec = extract_endpoint(&upstream).unwrap();
        let paths: Vec<&String> = spec["paths"].as_object().unwrap().keys().collect();
        assert_eq!(
            paths,
            ["/automation/2026-09-beta/workflow-id-mappings/batch/read"]
        );
        assert!(
            spec.get("components")
                .unwrap()
                .as_object()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn missing_endpoint_names_what_is_missing() {
        let upstream = json!({
            "openapi": "3.0.1",
            "paths": {"/automation/v4/flows": {"get": {}}},
        });
        let error = format!("{:#}", extract_endpoint(&upstream).unwrap_err());
        assert!(
            error.contains("does not declare the workflow ID mapping endpoint"),
            "{error}"
        );
        assert!(error.contains("GET /automation/v4/flows"), "{error}");
    }

    #[test]
    fn dangling_reference_names_it() {
        let upstream = json!({
            "openapi": "3.0.1",
            "paths": {"/automation/v4/workflow-id-mappings/batch/read": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Input"}}}},
            }}},
        });
        let error = format!("{:#}", extract_endpoint(&upstream).unwrap_err());
        assert!(
            error.contains("#/components/schemas/Input is referenced but not defined"),
            "{error}"
        );
    }

    #[test]
    fn swagger_file_is_rejected() {
        let error = extract_endpoint(&json!({"swagger": "2.0"}))
            .unwrap_err()
            .to_string();
        assert!(error.contains("no `openapi` field"), "{error}");
    }
}
