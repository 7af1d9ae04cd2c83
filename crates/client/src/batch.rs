//! Splitting inputs into deduplicated batches, and matching HubSpot's response to a batch
//! back to its inputs.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use hubspot_workflow_ids_api::types;

use crate::error::Error;
use crate::id::{FlowId, Id, IdKind, WorkflowId};
use crate::outcome::{Mapping, Outcome};
use crate::progress::Progress;

/// Category of a 207 error that means "no mapping exists", a definite result.
pub(crate) const OBJECT_NOT_FOUND: &str = "OBJECT_NOT_FOUND";

/// One request's worth of distinct inputs, all of one kind.
///
/// Each input carries its position among the call's distinct inputs, so that a [`Report`]
/// can list outcomes in input order.
///
/// [`Report`]: crate::Report
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Batch {
    pub(crate) entries: Vec<(u64, Id)>,
}

impl Batch {
    pub(crate) fn ids(&self) -> Vec<Id> {
        self.entries.iter().map(|&(_, id)| id).collect()
    }
}

/// Pulls IDs from `ids` lazily and yields batches of at most `batch_size` distinct IDs.
///
/// Duplicates are dropped across the whole input, not per batch, so the sets of seen IDs
/// grow with the number of distinct IDs of each kind. Flow IDs and workflow IDs go to
/// separate batches, so that a 207 error which lists bare numbers under `context.ids` names
/// exactly one input. This costs at most one request more than mixing them.
pub(crate) fn batches<S>(
    ids: S,
    batch_size: usize,
    progress: Progress,
) -> impl Stream<Item = Batch> + Send + 'static
where
    S: Stream<Item = Id> + Send + 'static,
{
    let batcher = Batcher {
        ids: Box::pin(ids),
        seen_flows: HashSet::new(),
        seen_workflows: HashSet::new(),
        flows: Vec::with_capacity(batch_size),
        workflows: Vec::with_capacity(batch_size),
        next_position: 0,
        batch_size,
        exhausted: false,
        progress,
    };
    futures::stream::unfold(batcher, |mut batcher| async move {
        let batch = batcher.next_batch().await?;
        Some((batch, batcher))
    })
}

struct Batcher {
    ids: Pin<Box<dyn Stream<Item = Id> + Send>>,
    seen_flows: HashSet<u64>,
    seen_workflows: HashSet<u64>,
    flows: Vec<(u64, Id)>,
    workflows: Vec<(u64, Id)>,
    next_position: u64,
    batch_size: usize,
    exhausted: bool,
    progress: Progress,
}

impl Batcher {
    async fn next_batch(&mut self) -> Option<Batch> {
        while !self.exhausted {
            let Some(id) = self.ids.next().await else {
                self.exhausted = true;
                break;
            };
            let (seen, pending) = match id.kind() {
                IdKind::Flow => (&mut self.seen_flows, &mut self.flows),
                IdKind::Workflow => (&mut self.seen_workflows, &mut self.workflows),
            };
            let unique = seen.insert(id.get());
            self.progress.add_input(unique);
            if !unique {
                continue;
            }
            pending.push((self.next_position, id));
            self.next_position += 1;
            if pending.len() >= self.batch_size {
                return Some(Batch {
                    entries: std::mem::take(pending),
                });
            }
        }

        // The input is exhausted: flush what is left, flow IDs first.
        for pending in [&mut self.flows, &mut self.workflows] {
            if !pending.is_empty() {
                return Some(Batch {
                    entries: std::mem::take(pending),
                });
            }
        }
        None
    }
}

/// Builds the request body of a batch, with the IDs as decimal strings.
pub(crate) fn request_body(batch: &Batch) -> types::ApiFlowBatchMigrationInput {
    let inputs = batch
        .entries
        .iter()
        .map(|&(_, id)| match id {
            Id::Flow(flow_id) => types::ApiFlowBatchFetchMigrationFlowIdCoordinate {
                flow_id: Some(flow_id.to_string()),
                type_: types::ApiFlowBatchFetchMigrationFlowIdCoordinateType::FlowId,
            }
            .into(),
            Id::Workflow(workflow_id) => types::ApiFlowBatchFetchMigrationWorkflowIdCoordinate {
                workflow_id: Some(workflow_id.to_string()),
                type_: types::ApiFlowBatchFetchMigrationWorkflowIdCoordinateType::WorkflowId,
            }
            .into(),
        })
        .collect();
    types::ApiFlowBatchMigrationInput { inputs }
}

/// Matches a 200 or 207 response to the inputs of its batch, by ID and kind and never by
/// position, and returns one outcome per input in the batch's order.
///
/// * A result `{flowId, workflowId}` maps the flow input `flowId` and the workflow input
///   `workflowId`.
/// * An error names inputs in its `context`: `ids` (either kind), `flowIds` and
///   `workflowIds`. Category `OBJECT_NOT_FOUND` makes them unmapped, and any other category
///   makes them failed, with an error built by `make_error` from the HubSpot error and the
///   inputs it names. A failure wins over a not-found for the same input, and a mapping
///   wins over both.
/// * Inputs that are neither mapped nor named are unmapped.
pub(crate) fn attribute(
    inputs: &[Id],
    answer: &types::BatchReadWorkflowIdMappingsResponse,
    make_error: impl Fn(&types::StandardError, Vec<Id>) -> Error,
) -> Vec<Outcome> {
    let positions: HashMap<Id, usize> = inputs
        .iter()
        .enumerate()
        .map(|(position, &id)| (id, position))
        .collect();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; inputs.len()];

    for result in &answer.results {
        let (Ok(flow_id), Ok(workflow_id)) = (
            FlowId::try_from(result.flow_id),
            WorkflowId::try_from(result.workflow_id),
        ) else {
            tracing::warn!(
                flow_id = result.flow_id,
                workflow_id = result.workflow_id,
                "ignoring a result with a negative ID"
            );
            continue;
        };
        let mapping = Mapping {
            flow_id,
            workflow_id,
        };
        for input in [Id::Flow(mapping.flow_id), Id::Workflow(mapping.workflow_id)] {
            if let Some(&position) = positions.get(&input) {
                outcomes[position] = Some(Outcome::Mapped { input, mapping });
            }
        }
    }

    // Not-found errors first, so that a failure for the same input replaces them.
    let (not_found, failures): (Vec<_>, Vec<_>) = answer
        .errors
        .iter()
        .partition(|error| error.category == OBJECT_NOT_FOUND);
    for error in not_found {
        for position in named_positions(error, &positions) {
            if outcomes[position].is_none() {
                outcomes[position] = Some(Outcome::Unmapped {
                    input: inputs[position],
                });
            }
        }
    }
    for error in failures {
        let named: Vec<usize> = named_positions(error, &positions)
            .filter(|&position| !matches!(outcomes[position], Some(Outcome::Mapped { .. })))
            .collect();
        if named.is_empty() {
            continue;
        }
        let shared = Arc::new(make_error(
            error,
            named.iter().map(|&position| inputs[position]).collect(),
        ));
        for position in named {
            outcomes[position] = Some(Outcome::Failed {
                input: inputs[position],
                error: Arc::clone(&shared),
            });
        }
    }

    outcomes
        .into_iter()
        .zip(inputs)
        .map(|(outcome, &input)| outcome.unwrap_or(Outcome::Unmapped { input }))
        .collect()
}

/// Returns the positions of the batch inputs that an error's `context` names.
fn named_positions<'a>(
    error: &'a types::StandardError,
    positions: &'a HashMap<Id, usize>,
) -> impl Iterator<Item = usize> + 'a {
    let keys: [(&str, &[IdKind]); 3] = [
        ("ids", &[IdKind::Flow, IdKind::Workflow]),
        ("flowIds", &[IdKind::Flow]),
        ("workflowIds", &[IdKind::Workflow]),
    ];
    let mut found: Vec<usize> = Vec::new();
    for (key, kinds) in keys {
        let Some(values) = error.context.get(key) else {
            continue;
        };
        for value in values {
            let Ok(raw) = value.trim().parse::<u64>() else {
                tracing::debug!(key, value = %value, "ignoring a non-numeric ID in an error context");
                continue;
            };
            for &kind in kinds {
                // A value above the maximum ID cannot name an input of the batch.
                let Ok(id) = Id::from_parts(kind, raw) else {
                    continue;
                };
                if let Some(&position) = positions.get(&id)
                    && !found.contains(&position)
                {
                    found.push(position);
                }
            }
        }
    }
    found.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn answer(value: serde_json::Value) -> types::BatchReadWorkflowIdMappingsResponse {
        let mut body = json!({
            "status": "COMPLETE",
            "results": [],
            "startedAt": "2026-12-04T10:00:00Z",
            "completedAt": "2026-12-04T10:00:01Z",
        });
        for (key, field) in value.as_object().unwrap() {
            body[key] = field.clone();
        }
        serde_json::from_value(body).unwrap()
    }

    fn failed(_: &types::StandardError, _: Vec<Id>) -> Error {
        Error::new(ErrorKind::Server)
    }

    async fn collect(ids: Vec<Id>, size: usize) -> Vec<Batch> {
        batches(futures::stream::iter(ids), size, Progress::new())
            .collect()
            .await
    }

    #[tokio::test]
    async fn splits_and_dedups_across_batches() {
        let mut ids: Vec<Id> = (0..250)
            .map(|n| Id::Flow(FlowId::new(n).unwrap()))
            .collect();
        ids.extend((0..250).map(|n| Id::Flow(FlowId::new(n).unwrap())));
        let sizes: Vec<usize> = collect(ids, 100)
            .await
            .iter()
            .map(|b| b.entries.len())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
    }

    #[tokio::test]
    async fn keeps_kinds_apart() {
        let ids = vec![
            Id::Flow(FlowId::new(1).unwrap()),
            Id::Workflow(WorkflowId::new(1).unwrap()),
            Id::Flow(FlowId::new(2).unwrap()),
        ];
        let batches = collect(ids, 100).await;
        assert_eq!(batches.len(), 2);
        assert_eq!(
            batches[0].ids(),
            [
                Id::Flow(FlowId::new(1).unwrap()),
                Id::Flow(FlowId::new(2).unwrap())
            ]
        );
        assert_eq!(
            batches[1].entries,
            [(1, Id::Workflow(WorkflowId::new(1).unwrap()))]
        );
    }

    #[tokio::test]
    async fn empty_input_yields_no_batch() {
        assert!(collect(Vec::new(), 100).await.is_empty());
    }

    #[test]
    fn attributes_by_id_and_kind() {
        let inputs = [
            Id::Flow(FlowId::new(10).unwrap()),
            Id::Workflow(WorkflowId::new(10).unwrap()),
            Id::Workflow(WorkflowId::new(7).unwrap()),
        ];
        let answer = answer(json!({
            "results": [
                { "flowId": 70, "workflowId": 7 },
                { "flowId": 10, "workflowId": 1 },
            ],
        }));
        let outcomes = attribute(&inputs, &answer, failed);
        assert_eq!(
            outcomes[0].mapping().unwrap().workflow_id,
            WorkflowId::new(1).unwrap()
        );
        assert!(matches!(outcomes[1], Outcome::Unmapped { .. }));
        assert_eq!(
            outcomes[2].mapping().unwrap().flow_id,
            FlowId::new(70).unwrap()
        );
    }

    #[test]
    fn partial_errors_by_category() {
        let inputs = [
            Id::Workflow(WorkflowId::new(1).unwrap()),
            Id::Workflow(WorkflowId::new(2).unwrap()),
            Id::Workflow(WorkflowId::new(3).unwrap()),
            Id::Workflow(WorkflowId::new(4).unwrap()),
        ];
        let answer = answer(json!({
            "results": [{ "flowId": 100, "workflowId": 1 }],
            "numErrors": 2,
            "errors": [
                { "category": "OBJECT_NOT_FOUND", "message": "not found", "status": "error",
                  "context": { "ids": ["2"] }, "errors": [], "links": {} },
                { "category": "INTERNAL_ERROR", "message": "failed", "status": "error",
                  "context": { "workflowIds": ["3"], "ids": ["1"] }, "errors": [], "links": {} },
            ],
        }));
        let outcomes = attribute(&inputs, &answer, failed);
        assert!(
            outcomes[0].mapping().is_some(),
            "a mapping wins over an error"
        );
        assert!(matches!(outcomes[1], Outcome::Unmapped { .. }));
        assert!(outcomes[2].error().is_some());
        assert!(
            matches!(outcomes[3], Outcome::Unmapped { .. }),
            "unnamed inputs are unmapped"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn id_strategy() -> impl Strategy<Value = Id> {
            // A small value range, so that duplicates and equal numbers of both kinds occur.
            (any::<bool>(), 0_u64..40).prop_map(|(is_flow, value)| {
                if is_flow {
                    Id::Flow(FlowId::new(value).unwrap())
                } else {
                    Id::Workflow(WorkflowId::new(value).unwrap())
                }
            })
        }

        proptest! {
            #[test]
            fn batches_cover_distinct_inputs_once(
                ids in proptest::collection::vec(id_strategy(), 0..300),
                size in 1_usize..=100,
            ) {
                let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                let batches = runtime.block_on(collect(ids.clone(), size));

                let mut distinct: Vec<Id> = Vec::new();
                for &id in &ids {
                    if !distinct.contains(&id) {
                        distinct.push(id);
                    }
                }
                let mut sent: Vec<(u64, Id)> = Vec::new();
                for batch in &batches {
                    prop_assert!(!batch.entries.is_empty());
                    prop_assert!(batch.entries.len() <= size);
                    let kind = batch.entries[0].1.kind();
                    prop_assert!(batch.entries.iter().all(|(_, id)| id.kind() == kind));
                    sent.extend(batch.entries.iter().copied());
                }
                sent.sort_unstable_by_key(|&(position, _)| position);
                let positions: Vec<u64> = sent.iter().map(|&(position, _)| position).collect();
                let expected_positions: Vec<u64> = (0..distinct.len() as u64).collect();
                prop_assert_eq!(positions, expected_positions);
                let sent_ids: Vec<Id> = sent.into_iter().map(|(_, id)| id).collect();
                prop_assert_eq!(sent_ids, distinct);
            }

            #[test]
            fn attribution_ignores_result_order(
                values in proptest::collection::btree_set(0_u64..1_000, 1..100),
                mapped_mask in proptest::collection::vec(any::<bool>(), 100),
                not_found_mask in proptest::collection::vec(any::<bool>(), 100),
                seed in any::<u64>(),
            ) {
                let inputs: Vec<Id> = values.iter().map(|&v| Id::Workflow(WorkflowId::new(v).unwrap())).collect();
                let mut results = Vec::new();
                let mut not_found = Vec::new();
                for (index, &value) in values.iter().enumerate() {
                    if mapped_mask[index] {
                        results.push(json!({ "flowId": value + 1_000_000, "workflowId": value }));
                    } else if not_found_mask[index] {
                        not_found.push(value.to_string());
                    }
                }
                // Rotate the results by a seed-dependent amount and reverse them.
                let rotation = (seed as usize) % results.len().max(1);
                results.rotate_left(rotation);
                results.reverse();
                let answer = answer(json!({
                    "results": results,
                    "errors": [{
                        "category": "OBJECT_NOT_FOUND", "message": "not found", "status": "error",
                        "context": { "ids": not_found }, "errors": [], "links": {},
                    }],
                }));

                let outcomes = attribute(&inputs, &answer, failed);

                prop_assert_eq!(outcomes.len(), inputs.len());
                for (index, outcome) in outcomes.iter().enumerate() {
                    prop_assert_eq!(outcome.input(), inputs[index]);
                    let value = inputs[index].get();
                    match outcome.mapping() {
                        Some(mapping) => {
                            prop_assert!(mapped_mask[index]);
                            prop_assert_eq!(mapping.flow_id.get(), value + 1_000_000);
                            prop_assert_eq!(mapping.workflow_id.get(), value);
                        }
                        None => {
                            prop_assert!(!mapped_mask[index]);
                            let unmapped = matches!(outcome, Outcome::Unmapped { .. });
                            prop_assert!(unmapped);
                        }
                    }
                }
            }
        }
    }
}
