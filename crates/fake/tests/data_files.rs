//! Loading mapping pairs from CSV and JSON files.

use std::path::PathBuf;

use hubspot_workflow_ids_fake::{Mapping, Mappings, MappingsError};

/// Writes `contents` to a file named `name` in a directory private to this test binary.
fn write_file(name: &str, contents: &str) -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fake-data-files");
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn pair(workflow_id: u64, flow_id: u64) -> Mapping {
    Mapping {
        workflow_id,
        flow_id,
    }
}

#[test]
fn csv_file_loads() {
    let path = write_file(
        "pairs.csv",
        "workflowId,flowId\n1001,250000001\n1003,9007199254740993\n",
    );

    let mappings = Mappings::from_file(&path).unwrap();

    assert_eq!(
        mappings.to_vec(),
        vec![pair(1001, 250_000_001), pair(1003, 9_007_199_254_740_993)]
    );
}

#[test]
fn json_file_loads_numbers_and_strings() {
    let path = write_file(
        "pairs.json",
        r#"[{"workflowId": 1001, "flowId": 9223372036854775807},
            {"workflowId": "1002", "flowId": "2147483648"}]"#,
    );

    let mappings = Mappings::from_file(&path).unwrap();

    assert_eq!(mappings.flow_id_for(1001), Some(i64::MAX as u64));
    assert_eq!(mappings.workflow_id_for(2_147_483_648), Some(1002));
    assert_eq!(mappings.len(), 2);
}

#[test]
fn csv_without_header_is_rejected() {
    let path = write_file("no-header.csv", "1001,250000001\n");

    let error = Mappings::from_file(&path).unwrap_err();

    let MappingsError::CsvHeader { header } = &error else {
        panic!("expected a header error, got {error}");
    };
    assert_eq!(header, "1001,250000001");
}

#[test]
fn csv_with_invalid_id_is_rejected() {
    let path = write_file("bad-id.csv", "workflowId,flowId\n1001,abc\n");

    let error = Mappings::from_file(&path).unwrap_err();

    assert!(matches!(error, MappingsError::Csv(_)), "{error}");
}

#[test]
fn json_with_missing_field_is_rejected() {
    let path = write_file("missing-field.json", r#"[{"workflowId": 1001}]"#);

    let error = Mappings::from_file(&path).unwrap_err();

    assert!(matches!(error, MappingsError::Json(_)), "{error}");
}

#[test]
fn conflicting_pairs_are_rejected() {
    let path = write_file("conflict.csv", "workflowId,flowId\n1,10\n1,11\n");

    let error = Mappings::from_file(&path).unwrap_err();

    let MappingsError::Conflict { first, second } = error else {
        panic!("expected a conflict, got {error}");
    };
    assert_eq!(first, pair(1, 10));
    assert_eq!(second, pair(1, 11));
}

#[test]
fn unknown_extension_is_rejected() {
    let path = write_file("pairs.txt", "workflowId,flowId\n1,10\n");

    let error = Mappings::from_file(&path).unwrap_err();

    assert!(
        matches!(error, MappingsError::UnsupportedExtension { .. }),
        "{error}"
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-file.csv");

    let error = Mappings::from_file(&path).unwrap_err();

    assert!(matches!(error, MappingsError::Io { .. }), "{error}");
    assert!(error.to_string().contains("no-such-file.csv"), "{error}");
}
