//! Results of a mapping call: one [`Outcome`] per distinct input, gathered in a [`Report`].

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::Error;
use crate::id::{FlowId, Id, WorkflowId};
use crate::progress::ProgressSnapshot;

/// A flow ID and the workflow ID of the same automation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// The v4 flow ID.
    pub flow_id: FlowId,
    /// The legacy v3 workflow ID.
    pub workflow_id: WorkflowId,
}

/// Result for one distinct input.
///
/// `I` is the input type: [`FlowId`], [`WorkflowId`] or, for mixed calls and streams,
/// [`Id`].
#[derive(Clone, Debug)]
pub enum Outcome<I = Id> {
    /// HubSpot returned a mapping for the input.
    Mapped {
        /// The input ID.
        input: I,
        /// Both IDs of the automation.
        mapping: Mapping,
    },
    /// HubSpot has no mapping for the input: it returned no result for it, or reported it
    /// with category `OBJECT_NOT_FOUND`.
    Unmapped {
        /// The input ID.
        input: I,
    },
    /// The lookup failed. The inputs of one failed batch share the error.
    Failed {
        /// The input ID.
        input: I,
        /// Cause of the failed lookup.
        error: Arc<Error>,
    },
}

impl<I: Copy> Outcome<I> {
    /// Returns the input of this outcome.
    pub fn input(&self) -> I {
        match self {
            Outcome::Mapped { input, .. }
            | Outcome::Unmapped { input }
            | Outcome::Failed { input, .. } => *input,
        }
    }

    /// Returns the mapping, if the input has one.
    pub fn mapping(&self) -> Option<Mapping> {
        match self {
            Outcome::Mapped { mapping, .. } => Some(*mapping),
            _ => None,
        }
    }

    /// Returns the error, if the lookup failed.
    pub fn error(&self) -> Option<&Arc<Error>> {
        match self {
            Outcome::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Converts the input with `convert`, keeping the rest.
    pub(crate) fn map_input<J>(self, convert: impl FnOnce(I) -> J) -> Outcome<J> {
        match self {
            Outcome::Mapped { input, mapping } => Outcome::Mapped {
                input: convert(input),
                mapping,
            },
            Outcome::Unmapped { input } => Outcome::Unmapped {
                input: convert(input),
            },
            Outcome::Failed { input, error } => Outcome::Failed {
                input: convert(input),
                error,
            },
        }
    }
}

/// Outcomes of a whole call, one per distinct input in the order the inputs first
/// appeared, with the call's counters.
#[derive(Clone, Debug)]
pub struct Report<I = Id> {
    outcomes: Vec<Outcome<I>>,
    stats: ProgressSnapshot,
}

impl<I: Copy> Report<I> {
    pub(crate) fn new(outcomes: Vec<Outcome<I>>, stats: ProgressSnapshot) -> Self {
        Self { outcomes, stats }
    }

    /// Returns every outcome, one per distinct input, in input order.
    pub fn outcomes(&self) -> &[Outcome<I>] {
        &self.outcomes
    }

    /// Consumes the report and returns its outcomes.
    pub fn into_outcomes(self) -> Vec<Outcome<I>> {
        self.outcomes
    }

    /// Returns the inputs that have a mapping, with the mapping.
    pub fn mapped(&self) -> impl Iterator<Item = (I, Mapping)> + '_ {
        self.outcomes
            .iter()
            .filter_map(|outcome| Some((outcome.input(), outcome.mapping()?)))
    }

    /// Returns the inputs HubSpot has no mapping for.
    pub fn unmapped(&self) -> impl Iterator<Item = I> + '_ {
        self.outcomes.iter().filter_map(|outcome| match outcome {
            Outcome::Unmapped { input } => Some(*input),
            _ => None,
        })
    }

    /// Returns the inputs whose lookup failed, with the error.
    pub fn failed(&self) -> impl Iterator<Item = (I, &Arc<Error>)> + '_ {
        self.outcomes
            .iter()
            .filter_map(|outcome| Some((outcome.input(), outcome.error()?)))
    }

    /// Returns each distinct error once, however many inputs it concerns.
    pub fn errors(&self) -> Vec<&Arc<Error>> {
        let mut seen = HashSet::new();
        self.failed()
            .filter_map(|(_, error)| seen.insert(Arc::as_ptr(error)).then_some(error))
            .collect()
    }

    /// Returns whether every input got a definite result, mapped or unmapped.
    pub fn is_complete(&self) -> bool {
        self.failed().next().is_none()
    }

    /// Returns the counters at the end of the call: inputs, unique inputs, requests,
    /// retries, rate-limited responses, elapsed time and more.
    pub fn stats(&self) -> &ProgressSnapshot {
        &self.stats
    }
}
