//! Conversion of the generated client's errors, and of 207 item errors, into [`Error`].

use hubspot_workflow_ids_api::{ResponseHead, types};
use progenitor_client::Error as ApiError;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::batch::OBJECT_NOT_FOUND;
use crate::error::{BodyFields, Error, ErrorKind, MAX_SNIPPET_BYTES};
use crate::id::Id;
use crate::retry::{self, Fault};

/// Category of a 403 whose token lacks scopes.
const MISSING_SCOPES: &str = "MISSING_SCOPES";

/// Converts an error of the generated client into an [`Error`].
///
/// `head` is the status and headers that the generated client's `RequestHooks` recorded,
/// used where progenitor's error carries neither, so that HTML, empty and cut-off bodies
/// keep the status, headers and correlation ID.
pub(crate) async fn classify(error: ApiError<types::Error>, head: Option<ResponseHead>) -> Error {
    let (status, headers) = match head {
        Some(head) => (Some(head.status), head.headers),
        None => (None, HeaderMap::new()),
    };
    match error {
        ApiError::ErrorResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let body = serde_json::to_value(response.into_inner()).unwrap_or_default();
            from_status(status, headers, BodyFields::from_value(&body))
        }
        ApiError::InvalidResponsePayload(body, source) => {
            // NOTE: progenitor has read this whole body before it reaches here, so the size cap
            // bounds only the snippet the error keeps, not what is read.
            // serde_json reports a body that ends early, or is empty, as an EOF error.
            let fault = if source.is_eof() {
                Fault::TruncatedBody
            } else {
                Fault::UndecodableBody
            };
            let fields = BodyFields::from_json_bytes(&body).unwrap_or_default();
            let error = match status {
                Some(status) if !status.is_success() => from_status(status, headers, fields),
                _ if fault == Fault::TruncatedBody => {
                    Error::new(ErrorKind::Transport).with_response(status, headers)
                }
                _ => Error::new(ErrorKind::Decode).with_response(status, headers),
            };
            error
                .with_fault(fault)
                .with_body_snippet(&body)
                .with_source(source)
        }
        ApiError::ResponseBodyError(source) => {
            let (kind, fault) = if source.is_timeout() {
                (ErrorKind::Timeout, Fault::Timeout)
            } else {
                (ErrorKind::Transport, Fault::TruncatedBody)
            };
            let error = match status {
                Some(status) if !status.is_success() => {
                    from_status(status, headers, BodyFields::default())
                }
                _ => Error::new(kind).with_response(status, headers),
            };
            error.with_fault(fault).with_source(source)
        }
        ApiError::CommunicationError(source) | ApiError::InvalidUpgrade(source) => {
            let (kind, fault) = if source.is_builder() {
                (ErrorKind::InvalidRequest, Fault::InvalidRequest)
            } else if source.is_timeout() {
                (ErrorKind::Timeout, Fault::Timeout)
            } else {
                (ErrorKind::Transport, Fault::Connection)
            };
            Error::new(kind)
                .with_response(status, headers)
                .with_fault(fault)
                .with_source(source)
        }
        ApiError::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let body = read_capped(response).await;
            let fields = BodyFields::from_json_bytes(&body).unwrap_or_default();
            let mut error = from_status(status, headers, fields);
            if status.is_success() {
                error = error.with_fault(Fault::UndecodableBody);
            }
            error.with_body_snippet(&body)
        }
        ApiError::InvalidRequest(message) | ApiError::Custom(message) => {
            Error::new(ErrorKind::InvalidRequest)
                .with_fault(Fault::InvalidRequest)
                .with_source(message)
        }
    }
}

/// Builds the error for an error status, with what its body revealed.
fn from_status(status: StatusCode, headers: HeaderMap, fields: BodyFields) -> Error {
    let kind = kind_for_status(status, &fields);
    let mut error = Error::new(kind)
        .with_response(Some(status), headers)
        .with_body_fields(fields);
    if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = retry::retry_after(error.headers());
        error.set_retry_after(wait);
    }
    error
}

fn kind_for_status(status: StatusCode, fields: &BodyFields) -> ErrorKind {
    match status.as_u16() {
        401 => ErrorKind::Authentication,
        403 if fields.category.as_deref() == Some(MISSING_SCOPES)
            || !fields.missing_scopes.is_empty() =>
        {
            ErrorKind::MissingScopes
        }
        403 => ErrorKind::Forbidden,
        429 => ErrorKind::RateLimited,
        400 | 422 => ErrorKind::Validation,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::UnexpectedStatus,
    }
}

/// Builds the error for a 207 item error other than `OBJECT_NOT_FOUND`.
///
/// The item's `status` is the HTTP status it would have had alone. When it is a number, it
/// decides the kind as a response status would. Otherwise the kind is
/// [`ErrorKind::Rejected`].
pub(crate) fn item_error(
    item: &types::StandardError,
    inputs: Vec<Id>,
    response_status: StatusCode,
    response_headers: &HeaderMap,
) -> Error {
    debug_assert_ne!(item.category, OBJECT_NOT_FOUND);
    let fields = BodyFields {
        category: Some(item.category.clone()),
        sub_category: item.sub_category.as_ref().map(|value| match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        }),
        correlation_id: None,
        message: Some(item.message.clone()),
        policy_name: None,
        missing_scopes: Vec::new(),
    };
    let item_status = item
        .status
        .as_deref()
        .and_then(|status| status.trim().parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(|status| !status.is_success());
    let (kind, status) = match item_status {
        Some(status) => (kind_for_status(status, &fields), status),
        None => (ErrorKind::Rejected, response_status),
    };
    let mut error = Error::new(kind)
        .with_response(Some(status), response_headers.clone())
        .with_body_fields(fields);
    error.set_inputs(inputs);
    error
}

/// Reads at most [`MAX_SNIPPET_BYTES`] of a body, ignoring read errors.
async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < MAX_SNIPPET_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(MAX_SNIPPET_BYTES);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_status() {
        let none = BodyFields::default();
        let scopes = BodyFields {
            category: Some(MISSING_SCOPES.to_owned()),
            ..BodyFields::default()
        };
        let cases = [
            (400, &none, ErrorKind::Validation),
            (401, &none, ErrorKind::Authentication),
            (403, &scopes, ErrorKind::MissingScopes),
            (403, &none, ErrorKind::Forbidden),
            (404, &none, ErrorKind::NotFound),
            (429, &none, ErrorKind::RateLimited),
            (500, &none, ErrorKind::Server),
            (524, &none, ErrorKind::Server),
            (302, &none, ErrorKind::UnexpectedStatus),
        ];
        for (code, fields, expected) in cases {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(kind_for_status(status, fields), expected, "status {code}");
        }
    }
}
