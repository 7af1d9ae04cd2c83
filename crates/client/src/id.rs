//! Flow IDs (v4), workflow IDs (v3) and their parsing.

use std::fmt;
use std::str::FromStr;

use crate::error::{InputError, InvalidIdReason};

/// Maximum number of characters of a rejected value that an [`InputError`] repeats.
const MAX_ECHOED_CHARS: usize = 40;

/// Largest valid ID. HubSpot's results carry IDs as signed 64-bit integers, so a larger
/// value can never map.
const MAX_ID: u64 = i64::MAX as u64;

/// Kind of ID an input carries, as HubSpot's `type` field names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    /// A v4 flow ID (`FLOW_ID`).
    Flow,
    /// A legacy v3 workflow ID (`WORKFLOW_ID`).
    Workflow,
}

impl IdKind {
    /// Returns the value of HubSpot's `type` field for this kind: `FLOW_ID` or `WORKFLOW_ID`.
    pub const fn api_name(self) -> &'static str {
        match self {
            IdKind::Flow => "FLOW_ID",
            IdKind::Workflow => "WORKFLOW_ID",
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdKind::Flow => f.write_str("flow ID"),
            IdKind::Workflow => f.write_str("workflow ID"),
        }
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        ///
        /// HubSpot IDs exceed 2^31 and may exceed 2^53, so the value never passes through a
        /// float. HubSpot sends its IDs as signed 64-bit integers, so the value is at most
        /// `i64::MAX` ([`Self::MAX`]). Every fallible constructor (`new`, `FromStr`,
        /// `TryFrom`) rejects empty, negative, non-decimal and out-of-range values with an
        /// [`InputError`] that names the value, so no public constructor builds an ID above
        /// that maximum.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            /// Kind of ID this type carries.
            pub const KIND: IdKind = $kind;

            /// Largest ID: `i64::MAX`, because HubSpot's result IDs are signed 64-bit
            /// integers.
            pub const MAX: Self = Self(MAX_ID);

            /// Wraps a raw ID.
            ///
            /// # Errors
            ///
            /// Returns [`InputError::InvalidId`] with [`InvalidIdReason::OutOfRange`] when
            /// `value` exceeds `i64::MAX`.
            pub fn new(value: u64) -> Result<Self, InputError> {
                check_range(value, $kind).map(Self)
            }

            /// Returns the raw ID.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = InputError;

            fn from_str(value: &str) -> Result<Self, InputError> {
                parse_decimal(value, $kind).map(Self)
            }
        }

        impl TryFrom<u64> for $name {
            type Error = InputError;

            fn try_from(value: u64) -> Result<Self, InputError> {
                Self::new(value)
            }
        }

        impl From<u32> for $name {
            fn from(value: u32) -> Self {
                Self(u64::from(value))
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                id.0
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                // Every constructor keeps the value at most `i64::MAX`.
                id.0 as i64
            }
        }

        impl TryFrom<i64> for $name {
            type Error = InputError;

            fn try_from(value: i64) -> Result<Self, InputError> {
                // A non-negative `i64` is never above `i64::MAX`, so only the sign is checked.
                u64::try_from(value).map(Self).map_err(|_| InputError::InvalidId {
                    kind: $kind,
                    value: value.to_string(),
                    reason: InvalidIdReason::Negative,
                })
            }
        }

        impl TryFrom<i32> for $name {
            type Error = InputError;

            fn try_from(value: i32) -> Result<Self, InputError> {
                Self::try_from(i64::from(value))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InputError;

            fn try_from(value: &str) -> Result<Self, InputError> {
                value.parse()
            }
        }

        impl TryFrom<String> for $name {
            type Error = InputError;

            fn try_from(value: String) -> Result<Self, InputError> {
                value.parse()
            }
        }
    };
}

id_type!(
    /// A v4 flow ID, as used by `/automation/v4/flows`.
    FlowId,
    IdKind::Flow
);

id_type!(
    /// A legacy v3 workflow ID, as used by `/automation/v3/workflows`.
    WorkflowId,
    IdKind::Workflow
);

/// One input of a mapping call: a flow ID or a workflow ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    /// A v4 flow ID to translate to its v3 workflow ID.
    Flow(FlowId),
    /// A v3 workflow ID to translate to its v4 flow ID.
    Workflow(WorkflowId),
}

impl Id {
    /// Parses a decimal string as an ID of the given kind.
    ///
    /// # Errors
    ///
    /// Returns [`InputError::InvalidId`] when `value` is empty, contains anything but the
    /// digits 0-9, is negative or exceeds `i64::MAX`.
    pub fn parse(kind: IdKind, value: &str) -> Result<Self, InputError> {
        let raw = parse_decimal(value, kind)?;
        Ok(Self::from_checked(kind, raw))
    }

    /// Builds an ID from its kind and raw value.
    ///
    /// # Errors
    ///
    /// Returns [`InputError::InvalidId`] with [`InvalidIdReason::OutOfRange`] when `value`
    /// exceeds `i64::MAX`.
    pub fn from_parts(kind: IdKind, value: u64) -> Result<Self, InputError> {
        let raw = check_range(value, kind)?;
        Ok(Self::from_checked(kind, raw))
    }

    /// Builds an ID from a value that [`check_range`] accepted.
    const fn from_checked(kind: IdKind, value: u64) -> Self {
        match kind {
            IdKind::Flow => Id::Flow(FlowId(value)),
            IdKind::Workflow => Id::Workflow(WorkflowId(value)),
        }
    }

    /// Returns the kind of this ID.
    pub const fn kind(self) -> IdKind {
        match self {
            Id::Flow(_) => IdKind::Flow,
            Id::Workflow(_) => IdKind::Workflow,
        }
    }

    /// Returns the raw value of this ID.
    pub const fn get(self) -> u64 {
        match self {
            Id::Flow(id) => id.0,
            Id::Workflow(id) => id.0,
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.get())
    }
}

impl From<FlowId> for Id {
    fn from(id: FlowId) -> Self {
        Id::Flow(id)
    }
}

impl From<WorkflowId> for Id {
    fn from(id: WorkflowId) -> Self {
        Id::Workflow(id)
    }
}

impl TryFrom<Id> for FlowId {
    type Error = Id;

    /// Returns the flow ID, or the input unchanged when it is a workflow ID.
    fn try_from(id: Id) -> Result<Self, Id> {
        match id {
            Id::Flow(flow_id) => Ok(flow_id),
            Id::Workflow(_) => Err(id),
        }
    }
}

impl TryFrom<Id> for WorkflowId {
    type Error = Id;

    /// Returns the workflow ID, or the input unchanged when it is a flow ID.
    fn try_from(id: Id) -> Result<Self, Id> {
        match id {
            Id::Workflow(workflow_id) => Ok(workflow_id),
            Id::Flow(_) => Err(id),
        }
    }
}

/// Returns `value` if it is at most [`MAX_ID`], else an out-of-range error that names it.
fn check_range(value: u64, kind: IdKind) -> Result<u64, InputError> {
    if value > MAX_ID {
        return Err(InputError::InvalidId {
            kind,
            value: value.to_string(),
            reason: InvalidIdReason::OutOfRange,
        });
    }
    Ok(value)
}

/// Parses an unsigned decimal integer of at most [`MAX_ID`], accepting only the ASCII
/// digits 0-9.
fn parse_decimal(value: &str, kind: IdKind) -> Result<u64, InputError> {
    let reject = |reason| InputError::InvalidId {
        kind,
        value: echo(value),
        reason,
    };

    if value.is_empty() {
        return Err(reject(InvalidIdReason::Empty));
    }
    if let Some(digits) = value.strip_prefix('-')
        && !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
    {
        return Err(reject(InvalidIdReason::Negative));
    }
    if !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(reject(InvalidIdReason::NotDecimal));
    }

    // Only overflow can fail here, because every byte is a digit.
    match value.parse::<u64>() {
        Ok(raw) if raw <= MAX_ID => Ok(raw),
        _ => Err(reject(InvalidIdReason::OutOfRange)),
    }
}

/// Returns `value`, shortened so that an error message stays readable.
fn echo(value: &str) -> String {
    if value.chars().count() <= MAX_ECHOED_CHARS {
        return value.to_owned();
    }
    let mut shortened: String = value.chars().take(MAX_ECHOED_CHARS).collect();
    shortened.push('…');
    shortened
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason_of(result: Result<FlowId, InputError>) -> InvalidIdReason {
        match result {
            Err(InputError::InvalidId { reason, .. }) => reason,
            other => panic!("expected an invalid ID error, got {other:?}"),
        }
    }

    #[test]
    fn parses_ids_above_2_pow_53() {
        let id: FlowId = "18014398509481985".parse().unwrap();
        assert_eq!(id.get(), (1 << 54) + 1);
    }

    #[test]
    fn parses_i64_max() {
        let id: WorkflowId = i64::MAX.to_string().parse().unwrap();
        assert_eq!(id.get(), i64::MAX as u64);
        assert_eq!(id, WorkflowId::MAX);
        assert_eq!(i64::from(id), i64::MAX);
    }

    #[test]
    fn rejects_values_above_i64_max() {
        let above = (i64::MAX as u64 + 1).to_string();
        for value in [above.as_str(), "18446744073709551615"] {
            assert_eq!(
                reason_of(value.parse()),
                InvalidIdReason::OutOfRange,
                "value {value}"
            );
            let error = Id::parse(IdKind::Workflow, value).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(value), "{message}");
            assert!(message.contains("9223372036854775807"), "{message}");
            assert!(WorkflowId::try_from(value).is_err(), "value {value}");
            assert!(
                WorkflowId::try_from(value.to_owned()).is_err(),
                "value {value}"
            );
        }
    }

    #[test]
    fn constructors_reject_values_above_i64_max() {
        let above = i64::MAX as u64 + 1;
        assert_eq!(reason_of(FlowId::new(above)), InvalidIdReason::OutOfRange);
        assert_eq!(
            reason_of(FlowId::try_from(u64::MAX)),
            InvalidIdReason::OutOfRange
        );
        let error = Id::from_parts(IdKind::Flow, above).unwrap_err();
        assert!(error.to_string().contains(&above.to_string()), "{error}");

        assert_eq!(FlowId::new(i64::MAX as u64).unwrap(), FlowId::MAX);
        assert_eq!(FlowId::try_from(5_u64).unwrap().get(), 5);
        assert_eq!(
            Id::from_parts(IdKind::Workflow, 5).unwrap(),
            Id::Workflow(WorkflowId::from(5_u32))
        );
        assert_eq!(FlowId::try_from(i64::MAX).unwrap(), FlowId::MAX);
    }

    #[test]
    fn rejects_invalid_strings() {
        let cases = [
            ("", InvalidIdReason::Empty),
            ("-5", InvalidIdReason::Negative),
            ("12a", InvalidIdReason::NotDecimal),
            (" 12", InvalidIdReason::NotDecimal),
            ("+12", InvalidIdReason::NotDecimal),
            ("-", InvalidIdReason::NotDecimal),
            ("1.5", InvalidIdReason::NotDecimal),
            ("18446744073709551616", InvalidIdReason::OutOfRange),
        ];
        for (value, expected) in cases {
            assert_eq!(reason_of(value.parse()), expected, "value {value:?}");
        }
    }

    #[test]
    fn error_names_value_and_kind() {
        let error = "12a".parse::<WorkflowId>().unwrap_err();
        let message = error.to_string();
        assert!(message.contains("\"12a\""), "{message}");
        assert!(message.contains("workflow ID"), "{message}");
    }

    #[test]
    fn rejects_negative_integers() {
        assert_eq!(
            reason_of(FlowId::try_from(-1_i64)),
            InvalidIdReason::Negative
        );
        assert_eq!(FlowId::try_from(7_i64).unwrap(), FlowId::from(7_u32));
    }

    #[test]
    fn long_values_are_shortened_in_errors() {
        let value = "x".repeat(500);
        let message = value.parse::<FlowId>().unwrap_err().to_string();
        assert!(message.len() < 120, "{message}");
    }

    #[test]
    fn id_converts_back_to_typed_ids() {
        let id = Id::from(FlowId::from(3_u32));
        assert_eq!(FlowId::try_from(id), Ok(FlowId::from(3_u32)));
        assert_eq!(WorkflowId::try_from(id), Err(id));
        assert_eq!(
            Id::parse(IdKind::Workflow, "9").unwrap(),
            Id::Workflow(9_u32.into())
        );
    }
}
