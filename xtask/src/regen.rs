//! `cargo xtask regen`: normalize the spec, generate, and write or check the results.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use similar::TextDiff;

use crate::generate::generate;
use crate::overlay::Overlay;
use crate::spec::{
    CLIENT_OUTPUT, DEVIATIONS, HTTPMOCK_OUTPUT, NORMALIZED_SPEC, SOURCE_SPEC, read_json,
    render_json, sha256_hex,
};
use crate::summary::{type_changes, type_members};
use crate::upstream::extract_endpoint;

/// One file that regeneration writes, relative to the workspace root.
struct Output {
    path: &'static str,
    contents: String,
}

/// Everything one regeneration produces.
struct Regeneration {
    outputs: Vec<Output>,
    operations: usize,
}

/// Runs `cargo xtask regen` in the workspace at `root`.
pub fn run(root: &Path, check: bool, upstream: Option<PathBuf>) -> Result<ExitCode> {
    if let Some(file) = upstream {
        return import_upstream(root, &file);
    }
    let source_path = root.join(SOURCE_SPEC);
    let source = std::fs::read_to_string(&source_path)
        .with_context(|| format!("failed to read {}", source_path.display()))?;
    let regeneration = regenerate(root, &source)?;
    if check {
        return Ok(check_outputs(root, &regeneration.outputs));
    }
    write_outputs(root, &regeneration)?;
    Ok(ExitCode::SUCCESS)
}

/// Extracts the endpoint from a spec file as HubSpot publishes it, checks that it normalizes and
/// generates, and only then writes it to `spec/` and regenerates.
fn import_upstream(root: &Path, file: &Path) -> Result<ExitCode> {
    let upstream = read_json(file)?;
    let endpoint = extract_endpoint(&upstream).with_context(|| format!("{}", file.display()))?;
    let source = render_json(&endpoint);
    let regeneration = regenerate(root, &source).with_context(|| {
        format!(
            "the endpoint in {} cannot be normalized and generated",
            file.display()
        )
    })?;
    let source_path = root.join(SOURCE_SPEC);
    std::fs::write(&source_path, &source)
        .with_context(|| format!("failed to write {}", source_path.display()))?;
    println!("wrote {SOURCE_SPEC} from {}", file.display());
    write_outputs(root, &regeneration)?;
    Ok(ExitCode::SUCCESS)
}

/// Normalizes `source` (the text of the source spec) and generates every output in memory.
fn regenerate(root: &Path, source: &str) -> Result<Regeneration> {
    let mut spec: Value =
        serde_json::from_str(source).with_context(|| format!("{SOURCE_SPEC} is not valid JSON"))?;
    let overlay = Overlay::from_value(read_json(&root.join(DEVIATIONS))?)
        .with_context(|| format!("{DEVIATIONS} is not a valid deviations file"))?;
    overlay
        .apply(&mut spec)
        .with_context(|| format!("failed to apply {DEVIATIONS}"))?;

    let openapi: openapiv3::OpenAPI = serde_json::from_value(spec.clone())
        .context("the normalized spec is not a valid OpenAPI 3.0 document")?;
    let operations = crate::transforms::operation_keys(&spec).len();
    let code = generate(
        &openapi,
        &sha256_hex(source.as_bytes()),
        &progenitor_version(root)?,
    )?;

    Ok(Regeneration {
        outputs: vec![
            Output {
                path: NORMALIZED_SPEC,
                contents: render_json(&spec),
            },
            Output {
                path: CLIENT_OUTPUT,
                contents: code.client,
            },
            Output {
                path: HTTPMOCK_OUTPUT,
                contents: code.httpmock,
            },
        ],
        operations,
    })
}

/// Returns the progenitor version that `Cargo.lock` pins.
fn progenitor_version(root: &Path) -> Result<String> {
    let lock_path = root.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("failed to read {}", lock_path.display()))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"progenitor\"" {
            let version = lines
                .next()
                .and_then(|line| line.strip_prefix("version = \""));
            if let Some(version) = version.and_then(|rest| rest.strip_suffix('"')) {
                return Ok(version.to_owned());
            }
        }
    }
    bail!("{} does not pin a progenitor version", lock_path.display())
}

fn read_existing(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap_or_default()
}

/// Compares each output with the checked-in file and prints a unified diff of each stale one.
fn check_outputs(root: &Path, outputs: &[Output]) -> ExitCode {
    let mut stale = Vec::new();
    for output in outputs {
        let existing = read_existing(root, output.path);
        if existing == output.contents {
            continue;
        }
        let diff = TextDiff::from_lines(&existing, &output.contents);
        print!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{}", output.path), &format!("b/{}", output.path))
        );
        stale.push(output.path);
    }
    if stale.is_empty() {
        println!("generated files are up to date");
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "error: {} generated file(s) are stale: {}\nrun `cargo xtask regen` and commit the result",
        stale.len(),
        stale.join(", ")
    );
    ExitCode::FAILURE
}

/// Writes every output that changed and prints the summary.
fn write_outputs(root: &Path, regeneration: &Regeneration) -> Result<()> {
    let mut lines = 0;
    let mut changes = Vec::new();
    for output in &regeneration.outputs {
        let path = root.join(output.path);
        let existing = read_existing(root, output.path);
        lines += output.contents.lines().count();
        if output.path.ends_with(".rs") {
            changes.extend(type_changes(
                &type_members(&existing),
                &type_members(&output.contents),
            ));
        }
        if existing != output.contents {
            std::fs::write(&path, &output.contents)
                .with_context(|| format!("failed to write {}", path.display()))?;
            println!("wrote {}", output.path);
        }
    }

    let client = &regeneration.outputs[1].contents;
    println!(
        "{} operation(s), {} type(s), {lines} lines in {} files",
        regeneration.operations,
        type_members(client).len(),
        regeneration.outputs.len()
    );
    if changes.is_empty() {
        println!("no types or fields added or removed");
    } else {
        println!("types and fields added (+) or removed (-) since the previous files:");
        for change in changes {
            println!("  {change}");
        }
    }
    Ok(())
}
