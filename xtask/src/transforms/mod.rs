//! Named transforms that `x-transform` actions of the deviations file run.
//!
//! Each transform is a small function over the whole spec, documented with the reason it exists
//! and unit-tested on fixture specs. The deviations file decides which run and in what order.

mod json_media;
mod merge_success;
mod operations;
mod parameterize_path;
mod prune;
mod rename;
mod replace;
mod select;
mod split_default;

use anyhow::{Result, bail};
use serde_json::{Map, Value};

pub use operations::operation_keys;

/// Names of the transforms, in the order a deviations file usually lists them.
pub const NAMES: &[&str] = &[
    "select-operations",
    "parameterize-path",
    "rename-operations",
    "replace",
    "merge-success-responses",
    "split-default-response",
    "json-for-wildcard-media",
    "prune-components",
];

/// Runs the transform `name` on `spec`. `targets` are JSON Pointers to the nodes the action's
/// target selects, and `params` are the action's fields, where parameters are `x-` keys.
pub fn run(
    name: &str,
    spec: &mut Value,
    targets: &[String],
    params: &Map<String, Value>,
) -> Result<()> {
    match name {
        "select-operations" => select::run(spec, params),
        "parameterize-path" => parameterize_path::run(spec, params),
        "rename-operations" => rename::run(spec, params),
        "replace" => replace::run(spec, targets, params),
        "merge-success-responses" => merge_success::run(spec, params),
        "split-default-response" => split_default::run(spec, params),
        "json-for-wildcard-media" => json_media::run(spec),
        "prune-components" => prune::run(spec),
        _ => bail!(
            "unknown transform {name:?}; known transforms: {}",
            NAMES.join(", ")
        ),
    }
}

/// Returns the parameter `x-{name}` of an action, or an error naming it.
fn param<'a>(params: &'a Map<String, Value>, name: &str) -> Result<&'a Value> {
    let key = format!("x-{name}");
    match params.get(&key) {
        Some(value) => Ok(value),
        None => bail!("missing parameter `{key}`"),
    }
}
