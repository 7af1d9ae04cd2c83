//! The results of a run and how each output format writes them.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use comfy_table::{Table, presets};
use hubspot_workflow_ids::{Error, Id, Outcome, ProgressSnapshot};
use serde::Serialize;

/// Outcome of one distinct input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    Mapped { flow_id: u64, workflow_id: u64 },
    Unmapped,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub input: u64,
    pub outcome: RowOutcome,
}

/// One error and the inputs it left without a definite result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub ids: Vec<u64>,
    pub status: Option<u16>,
    pub category: Option<String>,
    pub message: String,
    pub correlation_id: Option<String>,
}

/// Counters of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub inputs: u64,
    pub unique_inputs: u64,
    pub requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub elapsed_ms: u64,
}

impl From<&ProgressSnapshot> for Stats {
    fn from(snapshot: &ProgressSnapshot) -> Self {
        Self {
            inputs: snapshot.inputs,
            unique_inputs: snapshot.unique_inputs,
            requests: snapshot.requests,
            retries: snapshot.retries,
            rate_limited: snapshot.rate_limited,
            elapsed_ms: u64::try_from(snapshot.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// Everything a run found, one row per distinct input in input order.
#[derive(Debug, Clone)]
pub struct Results {
    pub rows: Vec<Row>,
    pub failures: Vec<Failure>,
    pub stats: Stats,
}

impl Results {
    /// Orders `outcomes` by `unique`, the distinct inputs in the order they were given, and groups
    /// the inputs of each error. An input without an outcome (the run was interrupted, or the
    /// client has a bug) is reported as failed with `missing_message`, never dropped.
    pub fn collect(
        unique: &[Id],
        outcomes: Vec<Outcome>,
        stats: Stats,
        missing_message: &str,
    ) -> Self {
        let mut by_input: HashMap<Id, Outcome> = outcomes
            .into_iter()
            .map(|outcome| (outcome.input(), outcome))
            .collect();
        let mut rows = Vec::with_capacity(unique.len());
        let mut failures: Vec<Failure> = Vec::new();
        let mut failure_index: HashMap<*const Error, usize> = HashMap::new();
        let mut missing = Vec::new();

        for id in unique {
            let outcome = match by_input.remove(id) {
                Some(Outcome::Mapped { mapping, .. }) => RowOutcome::Mapped {
                    flow_id: mapping.flow_id.get(),
                    workflow_id: mapping.workflow_id.get(),
                },
                Some(Outcome::Unmapped { .. }) => RowOutcome::Unmapped,
                Some(Outcome::Failed { error, .. }) => {
                    let index = *failure_index.entry(Arc::as_ptr(&error)).or_insert_with(|| {
                        failures.push(Failure::from_error(&error));
                        failures.len() - 1
                    });
                    failures[index].ids.push(id.get());
                    RowOutcome::Failed
                }
                None => {
                    missing.push(id.get());
                    RowOutcome::Failed
                }
            };
            rows.push(Row {
                input: id.get(),
                outcome,
            });
        }
        if !missing.is_empty() {
            failures.push(Failure {
                ids: missing,
                status: None,
                category: None,
                message: missing_message.to_owned(),
                correlation_id: None,
            });
        }
        Self {
            rows,
            failures,
            stats,
        }
    }

    pub fn count(&self, wanted: fn(&RowOutcome) -> bool) -> usize {
        self.rows.iter().filter(|row| wanted(&row.outcome)).count()
    }

    /// Returns one line per kind of failure: failures with the same status, category and
    /// message are counted together, so that a million IDs that all got a 401 give one line.
    pub fn failure_lines(&self) -> Vec<String> {
        let mut groups: Vec<(&Failure, usize, usize)> = Vec::new();
        for failure in &self.failures {
            let same = |(first, _, _): &&mut (&Failure, usize, usize)| {
                first.status == failure.status
                    && first.category == failure.category
                    && first.message == failure.message
            };
            match groups.iter_mut().find(same) {
                Some((_, inputs, batches)) => {
                    *inputs += failure.ids.len();
                    *batches += 1;
                }
                None => groups.push((failure, failure.ids.len(), 1)),
            }
        }
        groups
            .into_iter()
            .map(|(first, inputs, batches)| {
                let mut details = Vec::new();
                if let Some(status) = first.status {
                    details.push(format!("HTTP {status}"));
                }
                if let Some(category) = &first.category {
                    details.push(category.clone());
                }
                if let Some(correlation_id) = &first.correlation_id {
                    details.push(format!("correlation id {correlation_id}"));
                }
                let mut line = format!("failed: {}", plural(inputs as u64, "input"));
                if batches > 1 {
                    line.push_str(&format!(" in {batches} batches"));
                }
                if !details.is_empty() {
                    line.push_str(&format!(" ({})", details.join(", ")));
                }
                format!("{line}: {}", first.message)
            })
            .collect()
    }

    pub fn has_failures(&self) -> bool {
        !self.failures.is_empty()
    }

    /// Returns the one-line summary printed on standard error at the end.
    pub fn summary(&self) -> String {
        let stats = &self.stats;
        format!(
            "{} mapped, {} unmapped, {} failed of {} ({} given); {}, {}, {} rate-limited, {:.1} s",
            self.count(|outcome| matches!(outcome, RowOutcome::Mapped { .. })),
            self.count(|outcome| *outcome == RowOutcome::Unmapped),
            self.count(|outcome| *outcome == RowOutcome::Failed),
            plural(stats.unique_inputs, "unique input"),
            stats.inputs,
            plural(stats.requests, "request"),
            plural(stats.retries, "retry"),
            stats.rate_limited,
            stats.elapsed_ms as f64 / 1000.0,
        )
    }
}

/// Returns `count` and `noun`, with the noun in the plural unless `count` is 1.
fn plural(count: u64, noun: &str) -> String {
    match (count, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{count} {stem}ies"),
        (_, None) => format!("{count} {noun}s"),
    }
}

/// Maximum characters of an undecodable body that a failure message repeats.
const MAX_MESSAGE_SNIPPET: usize = 120;

impl Failure {
    fn from_error(error: &Error) -> Self {
        Self {
            ids: Vec::new(),
            status: error.status().map(|status| status.as_u16()),
            category: error.category().map(str::to_owned),
            message: failure_message(error),
            correlation_id: error.correlation_id().map(str::to_owned),
        }
    }
}

/// Returns HubSpot's message when the body had one. For a response without one, it returns the
/// error with the body's content type and start, which are more useful than the decoder's error.
/// For a failure with no response, it returns the chain of causes, such as a reset connection.
fn failure_message(error: &Error) -> String {
    if let Some(message) = error.message() {
        return message.to_owned();
    }
    if error.status().is_none() {
        return error_chain(error);
    }
    let content_type = error.content_type().unwrap_or("no content type");
    match error
        .body_snippet()
        .map(str::trim)
        .filter(|body| !body.is_empty())
    {
        Some(body) => {
            let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let body: String = body.chars().take(MAX_MESSAGE_SNIPPET).collect();
            format!("{error}; {content_type} body: {body}")
        }
        None => format!("{error}; empty body ({content_type})"),
    }
}

/// Joins an error's `Display` with those of its sources.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Writes aligned columns, then one line per failure.
pub fn write_table(results: &Results, out: &mut dyn Write) -> std::io::Result<()> {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["INPUT", "FLOW ID", "WORKFLOW ID", "OUTCOME"]);
    for row in &results.rows {
        let (flow_id, workflow_id) = mapped_ids(row);
        table.add_row([
            row.input.to_string(),
            flow_id,
            workflow_id,
            outcome_word(row).to_owned(),
        ]);
    }
    for line in table.to_string().lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    for line in results.failure_lines() {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Writes `input,flow_id,workflow_id,outcome` rows.
pub fn write_csv(results: &Results, out: &mut dyn Write) -> std::io::Result<()> {
    write_csv_rows(results, out).map_err(|error| match error.into_kind() {
        // Keep the I/O error itself, so that the caller can tell a closed pipe from a failure.
        csv::ErrorKind::Io(error) => error,
        other => std::io::Error::other(format!("{other:?}")),
    })
}

fn write_csv_rows(results: &Results, out: &mut dyn Write) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["input", "flow_id", "workflow_id", "outcome"])?;
    for row in &results.rows {
        let (flow_id, workflow_id) = mapped_ids(row);
        writer.write_record([
            row.input.to_string(),
            flow_id,
            workflow_id,
            outcome_word(row).to_owned(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonOutput {
    mappings: Vec<JsonMapping>,
    unmapped: Vec<String>,
    failed: Vec<JsonFailure>,
    stats: Stats,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonMapping {
    input: String,
    flow_id: String,
    workflow_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFailure {
    ids: Vec<String>,
    status: Option<u16>,
    category: Option<String>,
    message: String,
    correlation_id: Option<String>,
}

/// Writes one JSON object, with every ID as a decimal string so that no reader rounds it.
pub fn write_json(results: &Results, out: &mut dyn Write) -> std::io::Result<()> {
    let mut output = JsonOutput {
        mappings: Vec::new(),
        unmapped: Vec::new(),
        failed: Vec::new(),
        stats: results.stats,
    };
    for row in &results.rows {
        match row.outcome {
            RowOutcome::Mapped {
                flow_id,
                workflow_id,
            } => output.mappings.push(JsonMapping {
                input: row.input.to_string(),
                flow_id: flow_id.to_string(),
                workflow_id: workflow_id.to_string(),
            }),
            RowOutcome::Unmapped => output.unmapped.push(row.input.to_string()),
            RowOutcome::Failed => {}
        }
    }
    output.failed = results
        .failures
        .iter()
        .map(|failure| JsonFailure {
            ids: failure.ids.iter().map(u64::to_string).collect(),
            status: failure.status,
            category: failure.category.clone(),
            message: failure.message.clone(),
            correlation_id: failure.correlation_id.clone(),
        })
        .collect();
    serde_json::to_writer(&mut *out, &output)?;
    writeln!(out)
}

fn mapped_ids(row: &Row) -> (String, String) {
    match row.outcome {
        RowOutcome::Mapped {
            flow_id,
            workflow_id,
        } => (flow_id.to_string(), workflow_id.to_string()),
        _ => (String::new(), String::new()),
    }
}

fn outcome_word(row: &Row) -> &'static str {
    match row.outcome {
        RowOutcome::Mapped { .. } => "mapped",
        RowOutcome::Unmapped => "unmapped",
        RowOutcome::Failed => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Results {
        Results {
            rows: vec![
                Row {
                    input: 1002,
                    outcome: RowOutcome::Mapped {
                        flow_id: 9_007_199_254_740_993,
                        workflow_id: 1002,
                    },
                },
                Row {
                    input: 1004,
                    outcome: RowOutcome::Unmapped,
                },
                Row {
                    input: 1005,
                    outcome: RowOutcome::Failed,
                },
            ],
            failures: vec![Failure {
                ids: vec![1005],
                status: Some(503),
                category: None,
                message: "server error".to_owned(),
                correlation_id: Some("c-1".to_owned()),
            }],
            stats: Stats {
                inputs: 4,
                unique_inputs: 3,
                requests: 2,
                retries: 1,
                rate_limited: 0,
                elapsed_ms: 12,
            },
        }
    }

    fn render(write: fn(&Results, &mut dyn Write) -> std::io::Result<()>) -> String {
        let mut buffer = Vec::new();
        write(&sample(), &mut buffer).unwrap();
        String::from_utf8(buffer).unwrap()
    }

    #[test]
    fn json_has_contract_shape() {
        let value: serde_json::Value = serde_json::from_str(&render(write_json)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "mappings": [{"input": "1002", "flowId": "9007199254740993", "workflowId": "1002"}],
                "unmapped": ["1004"],
                "failed": [{"ids": ["1005"], "status": 503, "category": null, "message": "server error", "correlationId": "c-1"}],
                "stats": {"inputs": 4, "uniqueInputs": 3, "requests": 2, "retries": 1, "rateLimited": 0, "elapsedMs": 12},
            })
        );
    }

    #[test]
    fn csv_has_one_row_per_input() {
        assert_eq!(
            render(write_csv),
            "input,flow_id,workflow_id,outcome\n1002,9007199254740993,1002,mapped\n1004,,,unmapped\n1005,,,failed\n"
        );
    }

    #[test]
    fn table_lists_rows_then_failures() {
        let table = render(write_table);
        assert!(table.contains("9007199254740993"), "{table}");
        assert!(table.contains("unmapped"), "{table}");
        assert!(
            table.contains("failed: 1 input (HTTP 503, correlation id c-1): server error"),
            "{table}"
        );
        assert!(table.lines().all(|line| line == line.trim_end()), "{table}");
    }

    #[test]
    fn failure_lines_group_same_error() {
        let mut results = sample();
        let failure = |ids: Vec<u64>, correlation_id: &str| Failure {
            ids,
            status: Some(401),
            category: Some("INVALID_AUTHENTICATION".to_owned()),
            message: "bad token".to_owned(),
            correlation_id: Some(correlation_id.to_owned()),
        };
        results.failures = vec![
            failure(vec![1, 2], "c-1"),
            Failure {
                ids: vec![3],
                status: None,
                category: None,
                message: "interrupted".to_owned(),
                correlation_id: None,
            },
            failure(vec![4], "c-2"),
        ];
        assert_eq!(
            results.failure_lines(),
            [
                "failed: 3 inputs in 2 batches (HTTP 401, INVALID_AUTHENTICATION, correlation id c-1): bad token",
                "failed: 1 input: interrupted",
            ]
        );
    }

    #[test]
    fn plural_follows_count() {
        assert_eq!(plural(1, "retry"), "1 retry");
        assert_eq!(plural(2, "retry"), "2 retries");
        assert_eq!(plural(0, "request"), "0 requests");
    }

    #[test]
    fn summary_counts_each_outcome() {
        assert_eq!(
            sample().summary(),
            "1 mapped, 1 unmapped, 1 failed of 3 unique inputs (4 given); 2 requests, 1 retry, 0 rate-limited, 0.0 s"
        );
    }
}
