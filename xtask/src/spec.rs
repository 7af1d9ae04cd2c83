//! Locations of the spec files and the generated files, and how they are read and written.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The spec of the endpoint, in the shape HubSpot publishes.
pub const SOURCE_SPEC: &str = "spec/workflow-id-mappings.json";
/// The ordered list of deviations applied to the source spec before generation.
pub const DEVIATIONS: &str = "spec/deviations.json";
/// Input to progenitor: the source spec with every deviation applied.
pub const NORMALIZED_SPEC: &str = "spec/workflow-id-mappings.normalized.json";
/// The generated low-level client.
pub const CLIENT_OUTPUT: &str = "crates/api/src/generated.rs";
/// The generated httpmock helpers.
pub const HTTPMOCK_OUTPUT: &str = "crates/api-httpmock/src/generated.rs";
/// The Rust path of the client crate, as the httpmock helpers refer to it.
pub const CLIENT_CRATE: &str = "hubspot_workflow_ids_api";

/// Returns the workspace root, the parent of the xtask crate.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the xtask crate sits inside the workspace")
        .to_path_buf()
}

/// Reads a JSON file, naming the file in the error.
pub fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Renders JSON the way the checked-in spec files are written: two-space indent, keys in their
/// original order, and a final newline.
pub fn render_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Returns the SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
