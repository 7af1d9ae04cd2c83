//! Runs the `xtask` binary on copies of this workspace's spec and generated files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

/// Files `cargo xtask regen` reads or writes, relative to the workspace root.
const FILES: &[&str] = &[
    "Cargo.lock",
    "spec/workflow-id-mappings.json",
    "spec/deviations.json",
    "spec/workflow-id-mappings.normalized.json",
    "crates/api/src/generated.rs",
    "crates/api-httpmock/src/generated.rs",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Copies the files regeneration touches into a fresh temporary workspace.
fn scratch_workspace(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("xtask-regen-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    for file in FILES {
        let target = root.join(file);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(workspace_root().join(file), target).unwrap();
    }
    root
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(root: &Path, file: &str) -> String {
    fs::read_to_string(root.join(file)).unwrap()
}

fn source_spec() -> Value {
    serde_json::from_str(&read(&workspace_root(), "spec/workflow-id-mappings.json")).unwrap()
}

/// Drops the header line, which names the source spec's hash.
fn without_header(code: &str) -> &str {
    code.split_once('\n').unwrap().1
}

#[test]
fn check_passes_on_checked_in_tree() {
    let output = xtask(&workspace_root(), &["regen", "--check"]);
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[test]
fn regen_twice_reproduces_checked_in_files() {
    let root = scratch_workspace("twice");
    for _ in 0..2 {
        let output = xtask(&root, &["regen"]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        for file in FILES {
            assert_eq!(
                read(&root, file),
                read(&workspace_root(), file),
                "{file} differs"
            );
        }
    }
}

#[test]
fn check_names_stale_files_after_description_change() {
    let root = scratch_workspace("stale");
    let mut spec = source_spec();
    spec["components"]["schemas"]["FlowIdWorkflowIdMappingResponse"]["properties"]["flowId"]["description"] =
        json!("A changed description.");
    fs::write(
        root.join("spec/workflow-id-mappings.json"),
        serde_json::to_string_pretty(&spec).unwrap(),
    )
    .unwrap();

    let output = xtask(&root, &["regen", "--check"]);
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("--- a/crates/api/src/generated.rs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+        ///A changed description."),
        "{stdout}"
    );
    assert!(stderr.contains("crates/api/src/generated.rs"), "{stderr}");
    assert!(
        stderr.contains("crates/api-httpmock/src/generated.rs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("spec/workflow-id-mappings.normalized.json"),
        "{stderr}"
    );
}

/// Builds a whole published-style file around the endpoint: other paths and components beside
/// it, and the endpoint under `path`.
fn whole_file(path: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut spec = source_spec();
    let operation = spec["paths"]["/automation/v4/workflow-id-mappings/batch/read"].take();
    spec["paths"] = json!({
        "/automation/v4/flows": {"get": {
            "operationId": "get-/automation/v4/flows",
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FlowList"}}}}},
        }},
    });
    spec["paths"][path] = operation;
    spec["components"]["schemas"]["FlowList"] =
        json!({"type": "object", "properties": {"total": {"type": "integer"}}});
    spec["components"]["securitySchemes"]["developer_hapikey"] =
        json!({"type": "apiKey", "name": "hapikey", "in": "query"});
    spec["tags"] = json!([{"name": "Basic"}, {"name": "Batch"}]);
    edit(&mut spec);
    spec
}

fn import(name: &str, upstream: &Value) -> (PathBuf, Output) {
    let root = scratch_workspace(name);
    let file = root.join("upstream.json");
    fs::write(&file, serde_json::to_string_pretty(upstream).unwrap()).unwrap();
    let output = xtask(&root, &["regen", "--upstream", file.to_str().unwrap()]);
    (root, output)
}

#[test]
fn upstream_whole_file_generates_same_client() {
    let (root, output) = import(
        "whole",
        &whole_file("/automation/v4/workflow-id-mappings/batch/read", |_| {}),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let spec: Value = serde_json::from_str(&read(&root, "spec/workflow-id-mappings.json")).unwrap();
    let paths: Vec<&String> = spec["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/automation/v4/workflow-id-mappings/batch/read"]);
    assert!(spec["components"]["schemas"].get("FlowList").is_none());
    for file in [
        "crates/api/src/generated.rs",
        "crates/api-httpmock/src/generated.rs",
    ] {
        assert_eq!(
            without_header(&read(&root, file)),
            without_header(&read(&workspace_root(), file)),
            "{file} differs"
        );
    }
}

#[test]
fn upstream_date_versioned_path_generates_same_client() {
    let upstream = whole_file(
        "/automation/2026-09-beta/workflow-id-mappings/batch/read",
        |_| {},
    );
    let (root, output) = import("dated", &upstream);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let file = "crates/api/src/generated.rs";
    assert_eq!(
        without_header(&read(&root, file)),
        without_header(&read(&workspace_root(), file))
    );
}

#[test]
fn upstream_with_int32_ids_is_widened() {
    let upstream = whole_file("/automation/v4/workflow-id-mappings/batch/read", |spec| {
        spec["components"]["schemas"]["FlowIdWorkflowIdMappingResponse"]["properties"]["flowId"]
            ["format"] = json!("int32");
    });
    let (root, output) = import("int32", &upstream);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let code = read(&root, "crates/api/src/generated.rs");
    assert!(code.contains("pub flow_id: i64,"), "flowId was not widened");
    assert!(
        code.contains("pub workflow_id: i64,"),
        "workflowId was not widened"
    );
}

#[test]
fn upstream_without_207_still_generates() {
    let upstream = whole_file("/automation/v4/workflow-id-mappings/batch/read", |spec| {
        spec["paths"]["/automation/v4/workflow-id-mappings/batch/read"]["post"]["responses"]
            .as_object_mut()
            .unwrap()
            .shift_remove("207");
    });
    let (root, output) = import("no207", &upstream);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    // The restored errors and the fixed schema name keep every type and field the same.
    assert!(
        stdout.contains("no types or fields added or removed"),
        "{stdout}"
    );
    let code = read(&root, "crates/api/src/generated.rs");
    assert!(code.contains("pub struct BatchReadWorkflowIdMappingsResponse {"));
    assert!(code.contains("pub errors: ::std::vec::Vec<StandardError>,"));
}

#[test]
fn upstream_without_endpoint_names_what_is_missing() {
    let upstream = whole_file("/automation/v4/flows/batch/read", |_| {});
    let (root, output) = import("missing", &upstream);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .contains("upstream.json: the file does not declare the workflow ID mapping endpoint"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("no operation matches `POST /automation/*/workflow-id-mappings/batch/read`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("POST /automation/v4/flows/batch/read"),
        "{stderr}"
    );
    // Nothing was written.
    assert_eq!(
        read(&root, "spec/workflow-id-mappings.json"),
        read(&workspace_root(), "spec/workflow-id-mappings.json")
    );
}

#[test]
fn upstream_with_unmergeable_responses_names_the_field() {
    let upstream = whole_file("/automation/v4/workflow-id-mappings/batch/read", |spec| {
        spec["components"]["schemas"]["BatchResponseFlowIdWorkflowIdMappingResponseWithErrors"]["properties"]
            .as_object_mut()
            .unwrap()
            .shift_remove("links");
    });
    let (root, output) = import("unmergeable", &upstream);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot be normalized"), "{stderr}");
    assert!(
        stderr.contains("cannot merge the 2xx responses"),
        "{stderr}"
    );
    assert!(stderr.contains("lacks property `links`"), "{stderr}");
    assert_eq!(
        read(&root, "spec/workflow-id-mappings.json"),
        read(&workspace_root(), "spec/workflow-id-mappings.json")
    );
}
