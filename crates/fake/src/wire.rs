//! Request validation and response bodies of the batch read endpoint.

use serde::Serialize;
use serde_json::{Map, Value, json};

/// Kind of ID that one request input carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum IdKind {
    Flow,
    Workflow,
}

impl IdKind {
    fn type_name(self) -> &'static str {
        match self {
            IdKind::Flow => "FLOW_ID",
            IdKind::Workflow => "WORKFLOW_ID",
        }
    }

    fn field_name(self) -> &'static str {
        match self {
            IdKind::Flow => "flowId",
            IdKind::Workflow => "workflowId",
        }
    }
}

/// One validated element of the request's `inputs` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Input {
    pub(crate) kind: IdKind,
    pub(crate) id: u64,
}

/// Reason for rejecting a whole batch with 400 VALIDATION_ERROR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidationError {
    /// Length of the `inputs` array, when the body had one.
    pub(crate) batch_size: Option<usize>,
    /// Text for the response's `message` field.
    pub(crate) message: String,
}

/// Validated request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchRequest {
    /// Length of the `inputs` array, duplicates included.
    pub(crate) batch_size: usize,
    /// Inputs in request order with later duplicates removed.
    pub(crate) inputs: Vec<Input>,
}

/// Parses an ID that consists of ASCII digits only and fits in a `u64`.
pub(crate) fn parse_decimal_id(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Validates a request body against the endpoint's schema and the batch size limit.
pub(crate) fn parse_batch_request(
    body: &[u8],
    max_batch_size: usize,
) -> Result<BatchRequest, ValidationError> {
    let reject = |batch_size, message: String| ValidationError {
        batch_size,
        message,
    };

    let document: Value = serde_json::from_slice(body)
        .map_err(|error| reject(None, format!("Invalid input JSON: {error}.")))?;
    let Value::Object(document) = document else {
        return Err(reject(
            None,
            "Invalid input JSON: expected an object with an `inputs` array.".to_owned(),
        ));
    };
    let Some(inputs) = document.get("inputs") else {
        return Err(reject(
            None,
            "Invalid input: the required field `inputs` is missing.".to_owned(),
        ));
    };
    let Value::Array(inputs) = inputs else {
        return Err(reject(
            None,
            "Invalid input: `inputs` must be an array.".to_owned(),
        ));
    };

    let batch_size = inputs.len();
    if batch_size > max_batch_size {
        return Err(reject(
            Some(batch_size),
            format!(
                "Too many inputs: the batch has {batch_size} inputs and the maximum is {max_batch_size}."
            ),
        ));
    }

    let mut unique = Vec::with_capacity(batch_size);
    for (index, element) in inputs.iter().enumerate() {
        let input = parse_input(element).map_err(|problem| {
            reject(
                Some(batch_size),
                format!("Invalid input at inputs[{index}]: {problem}."),
            )
        })?;
        if !unique.contains(&input) {
            unique.push(input);
        }
    }
    Ok(BatchRequest {
        batch_size,
        inputs: unique,
    })
}

/// Validates one element of `inputs`. The error message follows "Invalid input at inputs[i]: ".
fn parse_input(element: &Value) -> Result<Input, String> {
    let Value::Object(fields) = element else {
        return Err(format!("expected an object, got {element}"));
    };
    let kind = match fields.get("type") {
        None => {
            return Err(
                "the required field `type` is missing, expected FLOW_ID or WORKFLOW_ID".to_owned(),
            );
        }
        Some(Value::String(name)) if name == "FLOW_ID" => IdKind::Flow,
        Some(Value::String(name)) if name == "WORKFLOW_ID" => IdKind::Workflow,
        Some(other) => {
            return Err(format!(
                "invalid `type` {other}, expected FLOW_ID or WORKFLOW_ID"
            ));
        }
    };
    let field = kind.field_name();
    let id = match fields.get(field) {
        None => {
            return Err(format!(
                "the required field `{field}` is missing for type {}",
                kind.type_name()
            ));
        }
        Some(Value::String(text)) => parse_decimal_id(text).ok_or_else(|| {
            format!(
                "invalid `{field}` {text:?}, expected a decimal integer from 0 to {}",
                u64::MAX
            )
        })?,
        Some(other) => {
            return Err(format!(
                "invalid `{field}` {other}, expected a decimal string such as \"123\""
            ));
        }
    };
    Ok(Input { kind, id })
}

/// Element of `results`: field order and integer IDs as HubSpot sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MappingResult {
    pub(crate) flow_id: u64,
    pub(crate) workflow_id: u64,
}

/// Timestamps of one batch, already formatted as RFC 3339 UTC with milliseconds.
#[derive(Debug, Clone)]
pub(crate) struct BatchTimes {
    pub(crate) requested_at: String,
    pub(crate) started_at: String,
    pub(crate) completed_at: String,
}

/// Builds the 200 or 207 body.
///
/// Misses produce one OBJECT_NOT_FOUND error per ID kind, flow IDs first, each listing
/// its IDs in request order under `context.ids`. Without misses the body has no
/// `numErrors` and `errors` fields.
pub(crate) fn batch_response_body(
    results: &[MappingResult],
    missing_flow_ids: &[u64],
    missing_workflow_ids: &[u64],
    times: &BatchTimes,
) -> Value {
    let mut errors = Vec::new();
    if !missing_flow_ids.is_empty() {
        errors.push(not_found_error(
            "Could not find a workflow for some flow IDs. Check that the IDs exist in this account.",
            missing_flow_ids,
        ));
    }
    if !missing_workflow_ids.is_empty() {
        errors.push(not_found_error(
            "Could not find a flow for some workflow IDs. Check that the IDs exist in this account.",
            missing_workflow_ids,
        ));
    }

    let mut body = Map::new();
    body.insert("status".to_owned(), json!("COMPLETE"));
    body.insert("results".to_owned(), json!(results));
    if !errors.is_empty() {
        body.insert("numErrors".to_owned(), json!(errors.len()));
        body.insert("errors".to_owned(), Value::Array(errors));
    }
    body.insert("startedAt".to_owned(), json!(times.started_at));
    body.insert("completedAt".to_owned(), json!(times.completed_at));
    body.insert("requestedAt".to_owned(), json!(times.requested_at));
    Value::Object(body)
}

fn not_found_error(message: &str, ids: &[u64]) -> Value {
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    json!({
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": message,
        "context": { "ids": ids },
        "errors": [],
        "links": {},
    })
}

/// Builds the body of a 400, 401 or 5xx error.
pub(crate) fn error_body(category: &str, message: &str, correlation_id: &str) -> Value {
    json!({
        "status": "error",
        "message": message,
        "correlationId": correlation_id,
        "category": category,
    })
}

/// Builds the body of a 401 INVALID_AUTHENTICATION error.
pub(crate) fn unauthorized_body(correlation_id: &str) -> Value {
    error_body(
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. Send a private app access token or an OAuth \
         access token in the Authorization header as `Bearer <token>`.",
        correlation_id,
    )
}

/// Builds the body of a 403 MISSING_SCOPES error for the `automation` scope.
pub(crate) fn missing_scopes_body(correlation_id: &str) -> Value {
    json!({
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call. \
                    Grant the automation scope to the app and use a new access token.",
        "correlationId": correlation_id,
        "category": "MISSING_SCOPES",
        "errors": [{
            "message": "One or more of the following scopes are required.",
            "context": { "requiredGranularScopes": ["automation"] },
        }],
        "links": { "scopes": "https://developers.hubspot.com/scopes" },
    })
}

/// Builds the body of a 429 response. Rate limit errors have `errorType` and no `category`.
pub(crate) fn rate_limit_body(
    message: &str,
    policy_name: &str,
    group_name: &str,
    correlation_id: &str,
) -> Value {
    json!({
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id,
        "policyName": policy_name,
        "groupName": group_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<BatchRequest, ValidationError> {
        parse_batch_request(body.as_bytes(), 100)
    }

    #[test]
    fn parses_mixed_inputs_and_drops_duplicates() {
        let request = parse(
            r#"{"inputs":[{"type":"FLOW_ID","flowId":"18446744073709551615"},
                {"type":"WORKFLOW_ID","workflowId":"7"},
                {"type":"FLOW_ID","flowId":"18446744073709551615"}]}"#,
        )
        .unwrap();
        assert_eq!(request.batch_size, 3);
        assert_eq!(
            request.inputs,
            vec![
                Input {
                    kind: IdKind::Flow,
                    id: u64::MAX
                },
                Input {
                    kind: IdKind::Workflow,
                    id: 7
                },
            ]
        );
    }

    #[test]
    fn rejects_invalid_ids() {
        for id in [
            r#""""#,
            r#""-1""#,
            r#""+1""#,
            r#""1.0""#,
            r#""abc""#,
            r#""18446744073709551616""#,
            "12",
            "null",
        ] {
            let body = format!(r#"{{"inputs":[{{"type":"FLOW_ID","flowId":{id}}}]}}"#);
            let error = parse(&body).unwrap_err();
            assert!(
                error.message.contains("`flowId`"),
                "{id}: {}",
                error.message
            );
            assert_eq!(error.batch_size, Some(1), "{id}");
        }
    }

    #[test]
    fn names_the_failing_input() {
        let error =
            parse(r#"{"inputs":[{"type":"FLOW_ID","flowId":"1"},{"type":"FLOW"}]}"#).unwrap_err();
        assert!(error.message.contains("inputs[1]"), "{}", error.message);
        assert!(error.message.contains("\"FLOW\""), "{}", error.message);
    }

    #[test]
    fn batch_limit_is_inclusive() {
        let input = r#"{"type":"WORKFLOW_ID","workflowId":"1"}"#;
        let body = |count: usize| format!(r#"{{"inputs":[{}]}}"#, vec![input; count].join(","));
        assert!(parse_batch_request(body(3).as_bytes(), 3).is_ok());
        let error = parse_batch_request(body(4).as_bytes(), 3).unwrap_err();
        assert_eq!(error.batch_size, Some(4));
        assert!(error.message.contains("maximum is 3"), "{}", error.message);
    }

    #[test]
    fn response_keeps_full_precision() {
        let times = BatchTimes {
            requested_at: "t0".to_owned(),
            started_at: "t1".to_owned(),
            completed_at: "t2".to_owned(),
        };
        let results = [MappingResult {
            flow_id: 9_007_199_254_740_993,
            workflow_id: 1003,
        }];
        let body = batch_response_body(&results, &[], &[5], &times).to_string();
        assert!(body.contains(r#""flowId":9007199254740993"#), "{body}");
        assert!(body.contains(r#""ids":["5"]"#), "{body}");
        assert!(body.contains(r#""numErrors":1"#), "{body}");
    }
}
