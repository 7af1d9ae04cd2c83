//! The `hubspot-fake` binary, started as a child process.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// Child process that is killed when the test ends, even if it fails.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Starts the binary with `args` and reads the URL it prints on stdout.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hubspot-fake"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("hubspot-fake starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut url = String::new();
        BufReader::new(stdout)
            .read_line(&mut url)
            .expect("hubspot-fake prints its URL");
        Self {
            child,
            url: url.trim().to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(url: &str, token: &str, body: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{url}/automation/v4/workflow-id-mappings/batch/read"
        ))
        .bearer_auth(token)
        .body(body.to_owned())
        .send()
        .await
        .expect("request succeeds");
    let status = response.status().as_u16();
    (status, response.json().await.expect("body is JSON"))
}

#[tokio::test]
async fn serves_demo_data_on_printed_url() {
    let server = Server::start(&["--token", "cli-token"]);

    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let body = r#"{"inputs":[{"type":"WORKFLOW_ID","workflowId":"1003"},
                            {"type":"WORKFLOW_ID","workflowId":"1004"}]}"#;
    let (status, reply) = post(&server.url, "cli-token", body).await;
    assert_eq!(status, 207);
    assert_eq!(reply["results"][0]["flowId"], 9_007_199_254_740_993u64);

    let (status, _) = post(&server.url, "other-token", body).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn applies_rate_limit_and_fault_options() {
    let server = Server::start(&["--rate-limit", "2/600", "--fault", "503", "--fault-at", "1"]);
    let body = r#"{"inputs":[{"type":"WORKFLOW_ID","workflowId":"1001"}]}"#;

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(post(&server.url, "any-token", body).await.0);
    }

    assert_eq!(statuses, vec![503, 200, 200, 429]);
}

#[test]
fn rejects_invalid_fault_rate() {
    let output = Command::new(env!("CARGO_BIN_EXE_hubspot-fake"))
        .args(["--fault", "reset", "--fault-rate", "1.5"])
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid probability 1.5"), "{stderr}");
}

#[test]
fn rejects_data_with_id_above_i64_max() {
    let directory = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fake-cli");
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("above-i64-max.csv");
    std::fs::write(&path, "workflowId,flowId\n1,2\n3,9223372036854775808\n").unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_hubspot-fake"))
        .arg("--data")
        .arg(&path)
        .output()
        .unwrap();

    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no URL is printed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("9223372036854775808"), "{stderr}");
    assert!(stderr.contains("line: 3"), "{stderr}");
}

#[tokio::test]
async fn logs_faults_without_colour_when_redirected() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hubspot-fake"))
        .args([
            "--token",
            "secret-cli-token",
            "--fault",
            "503",
            "--fault-at",
            "1",
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hubspot-fake starts");
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .expect("hubspot-fake prints its URL");
    let body = r#"{"inputs":[{"type":"WORKFLOW_ID","workflowId":"1001"}]}"#;

    let (first, _) = post(url.trim(), "secret-cli-token", body).await;
    let (second, _) = post(url.trim(), "unknown-token", body).await;
    let (third, _) = post(url.trim(), "secret-cli-token", body).await;
    // The log lines are written before the responses are sent, so they are all in the
    // pipe once the responses have arrived.
    child.kill().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();

    assert_eq!([first, second, third], [503, 401, 200]);
    assert!(!stderr.contains('\u{1b}'), "no colour codes: {stderr:?}");
    assert!(!stderr.contains("secret-cli-token"), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("status="))
        .collect();
    assert_eq!(lines.len(), 2, "one line per failed request: {stderr}");
    assert!(lines[0].contains("status=503"), "{}", lines[0]);
    assert!(lines[0].contains("fault=\"status\""), "{}", lines[0]);
    assert!(lines[0].contains("token_index=1"), "{}", lines[0]);
    assert!(lines[0].contains("correlation_id="), "{}", lines[0]);
    assert!(lines[1].contains("status=401"), "{}", lines[1]);
    assert!(!lines[1].contains("token_index"), "{}", lines[1]);
}
