//! `parameterize-path`: renames the one path that matches the template `x-path` to that template
//! and declares `x-parameter` on its operations.
//!
//! HubSpot serves this endpoint under `v4` and under date versions such as `2026-09-beta`. A path
//! parameter lets one generated client call either, and makes the generated code the same
//! whichever of the two an upstream file declares.

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Map, Value};

use super::operations::{METHODS, OperationPattern, paths_mut, rename_key};
use super::param;

pub fn run(spec: &mut Value, params: &Map<String, Value>) -> Result<()> {
    let template = param(params, "path")?
        .as_str()
        .context("`x-path` must be a string")?
        .to_owned();
    let parameter = param(params, "parameter")?.clone();
    ensure!(
        parameter.get("name").and_then(Value::as_str).is_some(),
        "`x-parameter` must be a parameter object with a `name`"
    );
    ensure!(
        parameter.get("in").and_then(Value::as_str) == Some("path"),
        "`x-parameter` must have `in: path`"
    );

    // Any method will do: only the path is compared.
    let pattern = OperationPattern::parse(&format!("GET {template}"))?;
    let paths = paths_mut(spec)?;
    let matching: Vec<String> = paths
        .keys()
        .filter(|path| pattern.matches("get", path))
        .cloned()
        .collect();
    let path = match matching.as_slice() {
        [path] => path.clone(),
        [] => bail!(
            "no path matches {template}; the spec's paths are: {}",
            join_keys(paths)
        ),
        _ => bail!(
            "several paths match {template} and would merge into one: {}; select one of them first",
            matching.join(", ")
        ),
    };

    rename_key(paths, &path, &template);
    let item = paths
        .get_mut(&template)
        .and_then(Value::as_object_mut)
        .expect("the path was just renamed");
    for (method, operation) in item.iter_mut() {
        if !METHODS.contains(&method.as_str()) {
            continue;
        }
        let Some(operation) = operation.as_object_mut() else {
            continue;
        };
        let parameters = operation
            .entry("parameters")
            .or_insert_with(|| Value::Array(Vec::new()));
        let Some(parameters) = parameters.as_array_mut() else {
            bail!("{method} {path}: `parameters` is not a list");
        };
        let declared = parameters.iter().any(|existing| {
            existing.get("name") == parameter.get("name")
                && existing.get("in") == parameter.get("in")
        });
        if !declared {
            parameters.push(parameter.clone());
        }
    }
    Ok(())
}

fn join_keys(map: &Map<String, Value>) -> String {
    map.keys().cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params() -> Map<String, Value> {
        json!({
            "x-path": "/automation/{apiVersion}/mappings",
            "x-parameter": {"name": "apiVersion", "in": "path", "required": true, "schema": {"type": "string"}},
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn renames_path_and_adds_parameter() {
        let mut spec = json!({"paths": {
            "/other": {},
            "/automation/2026-09-beta/mappings": {"post": {"parameters": []}},
        }});
        run(&mut spec, &params()).unwrap();
        let keys: Vec<&String> = spec["paths"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["/other", "/automation/{apiVersion}/mappings"]);
        assert_eq!(
            spec["paths"]["/automation/{apiVersion}/mappings"]["post"]["parameters"][0]["name"],
            "apiVersion"
        );
    }

    #[test]
    fn adds_parameter_once() {
        let mut spec = json!({"paths": {"/automation/v4/mappings": {"post": {}}}});
        run(&mut spec, &params()).unwrap();
        run(&mut spec, &params()).unwrap();
        let parameters = &spec["paths"]["/automation/{apiVersion}/mappings"]["post"]["parameters"];
        assert_eq!(parameters.as_array().unwrap().len(), 1);
    }

    #[test]
    fn two_matching_paths_are_an_error() {
        let mut spec = json!({"paths": {
            "/automation/v4/mappings": {"post": {}},
            "/automation/v5/mappings": {"post": {}},
        }});
        let error = run(&mut spec, &params()).unwrap_err().to_string();
        assert!(error.contains("several paths match"), "{error}");
    }

    #[test]
    fn no_matching_path_is_an_error() {
        let mut spec = json!({"paths": {"/automation/v4/flows": {}}});
        let error = run(&mut spec, &params()).unwrap_err().to_string();
        assert!(
            error.contains("no path matches /automation/{apiVersion}/mappings"),
            "{error}"
        );
    }
}
