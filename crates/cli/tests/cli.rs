//! The `hubspot-workflow-ids` binary end to end, against the embedded fake server (`--fake`) and
//! against fake servers these tests start on 127.0.0.1.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use hubspot_workflow_ids_fake::{FakeHubSpot, Fault, FaultBody, FaultRule, Mappings};
use serde_json::Value;

const TOKEN: &str = "cli-test-token";

fn cli() -> Command {
    let mut command = Command::cargo_bin("hubspot-workflow-ids").unwrap();
    command
        .env_remove("HUBSPOT_ACCESS_TOKEN")
        .env_remove("HUBSPOT_BASE_URL");
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs the binary on a blocking thread, so that a fake server on this test's runtime can respond.
async fn run_against(server: &FakeHubSpot, args: Vec<String>, stdin: Option<String>) -> Output {
    let url = server.url();
    tokio::task::spawn_blocking(move || {
        let mut command = cli();
        command
            .env("HUBSPOT_BASE_URL", url)
            .env("HUBSPOT_ACCESS_TOKEN", TOKEN)
            .args(args);
        if let Some(input) = stdin {
            command.write_stdin(input);
        }
        command.output().unwrap()
    })
    .await
    .unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn fake_table_prints_demo_mappings() {
    let output = cli()
        .args([
            "map", "--fake", "--from", "workflow", "1001", "1002", "1003",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("WORKFLOW ID"), "{table}");
    assert!(table.contains("250000001"), "{table}");
    assert!(table.contains("2147483648"), "{table}");
    assert!(table.contains("9007199254740993"), "{table}");
    assert!(stderr(&output).contains("3 mapped, 0 unmapped, 0 failed of 3 unique inputs"));
}

#[test]
fn fake_csv_reads_stdin_with_comments() {
    let output = cli()
        .args([
            "map", "--fake", "--from", "workflow", "--format", "csv", "--input", "-",
        ])
        .write_stdin("# exported from the v3 API\n1001\n\n1004   # retired\n1001\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "input,flow_id,workflow_id,outcome\n1001,250000001,1001,mapped\n1004,,,unmapped\n"
    );
    assert!(
        stderr(&output).contains("of 2 unique inputs (3 given)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fake_json_maps_flow_ids_to_output_file() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("out.json");
    let output = cli()
        .args([
            "map", "--fake", "--from", "flow", "--format", "json", "--output",
        ])
        .arg(&path)
        .args(["2147483648", "999"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        json["mappings"],
        serde_json::json!([{"input": "2147483648", "flowId": "2147483648", "workflowId": "1002"}])
    );
    assert_eq!(json["unmapped"], serde_json::json!(["999"]));
    assert_eq!(json["failed"], serde_json::json!([]));
    assert_eq!(json["stats"]["uniqueInputs"], 2);
    assert_eq!(json["stats"]["requests"], 1);
}

#[test]
fn invalid_id_names_value_and_line() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "1001\n# note\n10x2\n1003").unwrap();
    let output = cli()
        .args(["map", "--fake", "--from", "workflow", "--input"])
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("line 3 of"), "{message}");
    assert!(message.contains("10x2"), "{message}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        strings(&["map", "--fake", "1001"]),
        strings(&["map", "--fake", "--from", "workflow"]),
        strings(&[
            "map",
            "--fake",
            "--from",
            "workflow",
            "--rate-limit",
            "fast",
            "1",
        ]),
        strings(&[
            "map",
            "--fake",
            "--from",
            "workflow",
            "--batch-size",
            "101",
            "1",
        ]),
        strings(&["map", "--from", "workflow", "1001"]),
    ] {
        let output = cli().args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).is_empty(), "{args:?}");
    }
}

#[test]
fn missing_token_says_how_to_give_one() {
    let output = cli()
        .args(["map", "--from", "workflow", "1001"])
        .output()
        .unwrap();
    let message = stderr(&output);
    assert!(message.contains("HUBSPOT_ACCESS_TOKEN"), "{message}");
    assert!(message.contains("--token-file"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn token_file_is_sent_as_bearer() {
    let server = FakeHubSpot::builder().token(TOKEN).start().await.unwrap();
    let mut token_file = tempfile::NamedTempFile::new().unwrap();
    writeln!(token_file, "{TOKEN}").unwrap();
    let url = server.url();
    let path = token_file.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        cli()
            .env("HUBSPOT_BASE_URL", url)
            .args(["map", "--from", "workflow", "--token-file"])
            .arg(path)
            .arg("1001")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(server.counters().status(401), 0);
    assert_eq!(server.counters().status(200), 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_batch_exits_1_with_details() {
    let server = FakeHubSpot::builder()
        .token(TOKEN)
        .fault(FaultRule::always(Fault::Status {
            status: 503,
            body: FaultBody::Html,
        }))
        .start()
        .await
        .unwrap();

    let args = strings(&[
        "map",
        "--from",
        "workflow",
        "--format",
        "json",
        "--max-retries",
        "1",
        "1001",
        "1002",
    ]);
    let output = run_against(&server, args, None).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["mappings"], serde_json::json!([]));
    assert_eq!(
        json["failed"][0]["ids"],
        serde_json::json!(["1001", "1002"])
    );
    assert_eq!(json["failed"][0]["status"], 503);
    assert!(json["failed"][0]["correlationId"].is_string(), "{json}");

    let message = json["failed"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("server error (HTTP 503)"), "{message}");
    assert!(message.contains("text/html"), "{message}");
    assert!(message.contains("body: <!DOCTYPE html>"), "{message}");
    assert!(!message.contains("expected value"), "{message}");

    assert_eq!(json["stats"]["requests"], 2);
    assert_eq!(json["stats"]["retries"], 1);
    assert!(stderr(&output).contains("2 failed"), "{}", stderr(&output));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn five_thousand_ids_survive_faults_and_rate_limit() {
    let mappings = Mappings::generated(11, 4_000);
    let pairs = mappings.to_vec();
    let known: HashSet<u64> = pairs.iter().map(|pair| pair.workflow_id).collect();
    let mut unknown = Vec::new();
    let mut candidate = 1u64;
    while unknown.len() < 1_000 {
        if !known.contains(&candidate) {
            unknown.push(candidate);
        }
        candidate += 1;
    }
    let expected: HashMap<u64, u64> = pairs
        .iter()
        .map(|pair| (pair.workflow_id, pair.flow_id))
        .collect();

    let server = FakeHubSpot::builder()
        .token(TOKEN)
        .mappings(mappings)
        .rate_limit(40, Duration::from_secs(1))
        .fault(FaultRule::rate(
            0.06,
            Fault::Status {
                status: 503,
                body: FaultBody::Html,
            },
        ))
        .fault(FaultRule::rate(
            0.06,
            Fault::Status {
                status: 524,
                body: FaultBody::Empty,
            },
        ))
        .fault(FaultRule::rate(0.05, Fault::Reset))
        .fault(FaultRule::rate(0.05, Fault::Truncated))
        .fault(FaultRule::rate(
            0.1,
            Fault::Latency(Duration::from_millis(20)),
        ))
        .seed(5)
        .start()
        .await
        .unwrap();

    // Mapped and unmapped IDs interleaved, with every tenth ID repeated.
    let mut input = String::new();
    for (index, pair) in pairs.iter().enumerate() {
        input.push_str(&format!("{}\n", pair.workflow_id));
        if index % 4 == 0 {
            input.push_str(&format!("{}\n", unknown[index / 4]));
        }
        if index % 10 == 0 {
            input.push_str(&format!("{}\n", pair.workflow_id));
        }
    }
    let args = strings(&[
        "map",
        "--from",
        "workflow",
        "--format",
        "json",
        "--input",
        "-",
        "--rate-limit",
        "40/1",
        "--max-retries",
        "12",
        "--timeout",
        "5",
    ]);
    let output = run_against(&server, args, Some(input)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();

    let mut answered = HashSet::new();
    for mapping in json["mappings"].as_array().unwrap() {
        let input: u64 = mapping["input"].as_str().unwrap().parse().unwrap();
        let flow_id: u64 = mapping["flowId"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            expected.get(&input),
            Some(&flow_id),
            "wrong pair for {input}"
        );
        assert_eq!(mapping["workflowId"].as_str().unwrap(), input.to_string());
        assert!(answered.insert(input), "{input} answered twice");
    }
    for value in json["unmapped"].as_array().unwrap() {
        let input: u64 = value.as_str().unwrap().parse().unwrap();
        assert!(!expected.contains_key(&input), "{input} has a mapping");
        assert!(answered.insert(input), "{input} answered twice");
    }
    assert_eq!(json["failed"], serde_json::json!([]));
    assert_eq!(json["mappings"].as_array().unwrap().len(), 4_000);
    assert_eq!(json["unmapped"].as_array().unwrap().len(), 1_000);
    assert_eq!(answered.len(), 5_000);

    let counters = server.counters();
    assert!(counters.faults_injected > 0, "no fault was injected");
    assert_eq!(counters.rate_limited, 0, "the server sent 429s");
    assert!(counters.max_batch_size <= 100);
    assert_eq!(json["stats"]["rateLimited"], 0);
    assert!(json["stats"]["retries"].as_u64().unwrap() > 0);
    server.shutdown().await;
}

#[test]
fn fake_with_base_url_is_rejected() {
    let output = cli()
        .args([
            "map",
            "--fake",
            "--from",
            "workflow",
            "--base-url",
            "http://127.0.0.1:9",
            "1001",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("remove --base-url or unset HUBSPOT_BASE_URL"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_option_names_the_flag() {
    let output = cli()
        .args([
            "map",
            "--fake",
            "--from",
            "workflow",
            "--concurrency",
            "0",
            "1001",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("invalid --concurrency"), "{message}");
    assert!(message.contains("got 0"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unwritable_output_sends_nothing() {
    let server = FakeHubSpot::builder().token(TOKEN).start().await.unwrap();
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("missing-directory").join("out.json");
    let args = vec![
        "map".to_owned(),
        "--from".to_owned(),
        "workflow".to_owned(),
        "--output".to_owned(),
        missing.display().to_string(),
        "1001".to_owned(),
    ];
    let output = run_against(&server, args, None).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("failed to create the output file"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.counters().requests, 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupt_writes_finished_results() {
    let server = FakeHubSpot::builder()
        .token(TOKEN)
        .fault(FaultRule::always(Fault::Latency(Duration::from_millis(
            400,
        ))))
        .start()
        .await
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("out.json");
    let ids: String = (1..=500).map(|id| format!("{id}\n")).collect();
    let input = directory.path().join("ids.txt");
    std::fs::write(&input, ids).unwrap();

    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hubspot-workflow-ids"))
        .env_remove("HUBSPOT_BASE_URL")
        .env("HUBSPOT_ACCESS_TOKEN", TOKEN)
        .args([
            "map",
            "--from",
            "workflow",
            "--format",
            "json",
            "--concurrency",
            "1",
        ])
        .args(["--base-url", &server.url(), "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    // Interrupt once the first request has reached the server, so that the run is in flight.
    let started = std::time::Instant::now();
    while server.counters().requests == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no request arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signal = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();

    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("interrupted"),
        "{}",
        stderr(&output)
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let answered =
        json["mappings"].as_array().unwrap().len() + json["unmapped"].as_array().unwrap().len();
    let failed: usize = json["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|failure| failure["ids"].as_array().unwrap().len())
        .sum();
    assert_eq!(answered + failed, 500, "every input is accounted for");
    assert_eq!(json["stats"]["inputs"], 500);
    assert_eq!(json["stats"]["uniqueInputs"], 500);
    assert!(failed > 0, "the interrupt came before the last batch");
    let message = json["failed"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("interrupted before a result arrived"),
        "{message}"
    );
    server.shutdown().await;
}

#[test]
fn usage_error_keeps_existing_output() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("previous.csv");
    std::fs::write(&path, "kept\n").unwrap();
    let output = cli()
        .args([
            "map",
            "--from",
            "workflow",
            "--base-url",
            "http://127.0.0.1:9",
            "--output",
        ])
        .arg(&path)
        .arg("1001")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no access token"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_failures_are_explained_on_stderr() {
    let server = FakeHubSpot::builder()
        .token("another-token")
        .start()
        .await
        .unwrap();
    let args = strings(&[
        "map",
        "--from",
        "workflow",
        "--format",
        "csv",
        "--batch-size",
        "1",
        "--concurrency",
        "1",
        "1001",
        "1002",
        "1003",
    ]);
    let output = run_against(&server, args, None).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("1001,,,failed"),
        "{}",
        stdout(&output)
    );
    let message = stderr(&output);
    assert!(
        message.contains("failed: 3 inputs in 3 batches (HTTP 401, INVALID_AUTHENTICATION"),
        "{message}"
    );
    // The first 401 stops the call, so the other two batches are never sent.
    assert_eq!(server.counters().requests, 1);
    server.shutdown().await;
}

#[test]
fn closed_pipe_is_not_an_error() {
    for format in ["table", "csv", "json"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hubspot-workflow-ids"))
            .args([
                "map", "--fake", "--from", "workflow", "--format", format, "1001", "1002",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the tool writes, as `head` does once it has enough.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            stderr(&output)
        );
        assert!(
            !stderr(&output).contains("Broken pipe"),
            "{format}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn debug_log_shows_each_request() {
    let output = cli()
        .env("RUST_LOG", "hubspot_workflow_ids=debug")
        .args(["map", "--fake", "--from", "workflow", "1001", "1004"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let log = stderr(&output);
    assert!(log.contains("hubspot_request{"), "{log}");
    assert!(log.contains("http.response.status_code=207"), "{log}");
    assert!(!log.contains("fake-demo-token"), "{log}");
}
