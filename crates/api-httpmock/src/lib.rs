//! Typed [`httpmock`] helpers for the low-level client in `hubspot-workflow-ids-api`, generated
//! by progenitor from the same normalized spec.
//!
//! [`MockServerExt`] adds one method per operation to `httpmock::MockServer`, whose closures get
//! typed `When` and `Then` builders:
//!
//! ```no_run
//! use hubspot_workflow_ids_api::types;
//! use hubspot_workflow_ids_api_httpmock::MockServerExt;
//!
//! let server = httpmock::MockServer::start();
//! let body: types::BatchReadWorkflowIdMappingsResponse =
//!     serde_json::from_value(serde_json::json!({
//!         "status": "COMPLETE",
//!         "results": [{"flowId": 2147483648u64, "workflowId": 1001}],
//!         "startedAt": "2026-12-04T10:00:00Z",
//!         "completedAt": "2026-12-04T10:00:01Z",
//!     }))
//!     .unwrap();
//! let mock = server.batch_read_workflow_id_mappings(|when, then| {
//!     when.api_version("v4");
//!     then.ok(&body);
//! });
//! ```

#[allow(missing_docs, unused_imports, clippy::all, clippy::pedantic)]
mod generated;

pub use generated::*;
