//! The mapping pairs that the fake server looks IDs up in.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// Largest ID the fake serves: `i64::MAX`, because HubSpot's IDs are signed 64-bit integers.
pub const MAX_ID: u64 = i64::MAX as u64;

/// One automation known under both its legacy v3 workflow ID and its v4 flow ID.
///
/// Both IDs are at most [`MAX_ID`]. Deserializing rejects larger values, and the
/// constructors of [`Mappings`] reject pairs built with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    /// Legacy v3 workflow ID.
    #[serde(deserialize_with = "deserialize_id")]
    pub workflow_id: u64,
    /// v4 flow ID.
    #[serde(deserialize_with = "deserialize_id")]
    pub flow_id: u64,
}

/// Set of [`Mapping`]s, indexed in both directions.
///
/// Each workflow ID maps to at most one flow ID and each flow ID to at most one workflow ID.
/// The constructors reject data that breaks this rule with [`MappingsError::Conflict`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mappings {
    flow_by_workflow: HashMap<u64, u64>,
    workflow_by_flow: HashMap<u64, u64>,
}

/// Error from loading or building [`Mappings`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MappingsError {
    /// The file could not be read.
    #[error("failed to read mappings file {}", path.display())]
    Io {
        /// File that was read.
        path: PathBuf,
        /// Cause of the failure.
        #[source]
        source: io::Error,
    },
    /// The file name ends neither in `.csv` nor in `.json`.
    #[error("unsupported mappings file {}: the name must end in .csv or .json", path.display())]
    UnsupportedExtension {
        /// File that was named.
        path: PathBuf,
    },
    /// The CSV header lacks the `workflowId` or the `flowId` column.
    #[error("invalid mappings CSV header {header:?}: expected the columns workflowId and flowId")]
    CsvHeader {
        /// First line of the CSV text, with the fields joined by commas.
        header: String,
    },
    /// The CSV text is invalid, or a row has a missing or invalid ID.
    #[error("invalid mappings CSV")]
    Csv(#[source] csv::Error),
    /// The JSON text is not an array of `{"workflowId":…,"flowId":…}` objects.
    #[error("invalid mappings JSON")]
    Json(#[source] serde_json::Error),
    /// A pair has an ID above [`MAX_ID`], which HubSpot's signed 64-bit IDs cannot hold.
    #[error(
        "invalid mapping (workflow ID {}, flow ID {}): {}",
        pair.workflow_id, pair.flow_id, out_of_range_reason(pair)
    )]
    IdOutOfRange {
        /// Pair with the invalid ID.
        pair: Mapping,
    },
    /// Two pairs give one ID two different partners.
    #[error(
        "conflicting mappings: workflow ID {} with flow ID {} and workflow ID {} with flow ID {}",
        first.workflow_id, first.flow_id, second.workflow_id, second.flow_id
    )]
    Conflict {
        /// Pair that was added first.
        first: Mapping,
        /// Pair that shares an ID with `first` but not the other one.
        second: Mapping,
    },
}

/// Pairs of [`Mappings::demo`], as (workflow ID, flow ID).
const DEMO_PAIRS: [(u64, u64); 8] = [
    (1001, 250_000_001),
    (1002, 2_147_483_648),
    (1003, 9_007_199_254_740_993),
    (1005, 4_294_967_297),
    (1006, 600_000_006),
    (1008, 1_700_000_008),
    (1009, 3_141_592_653),
    (1010, 9_223_372_036_854_775_807),
];

impl Mappings {
    /// Returns an empty set, in which every lookup misses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the built-in demo set described in the crate documentation.
    ///
    /// ```
    /// use hubspot_workflow_ids_fake::Mappings;
    ///
    /// let demo = Mappings::demo();
    /// assert_eq!(demo.flow_id_for(1003), Some(9_007_199_254_740_993));
    /// assert_eq!(demo.flow_id_for(1004), None);
    /// ```
    pub fn demo() -> Self {
        Self::from_pairs(DEMO_PAIRS.iter().map(|&(workflow_id, flow_id)| Mapping {
            workflow_id,
            flow_id,
        }))
        .expect("the demo pairs contain no conflicts")
    }

    /// Generates `count` random pairs from `seed`. The same arguments give the same pairs.
    ///
    /// Workflow IDs are drawn from `1..2^33`. Each flow ID is drawn from one of three ranges,
    /// chosen at random: below 2^31, from 2^31 to 2^53, and from 2^53 to `i64::MAX`. So a
    /// large set exercises 32-bit overflow and the precision limit of JSON numbers read as
    /// doubles, while every ID still fits in an `i64`.
    ///
    /// ```
    /// use hubspot_workflow_ids_fake::Mappings;
    ///
    /// let mappings = Mappings::generated(7, 1_000);
    /// assert_eq!(mappings.len(), 1_000);
    /// assert_eq!(mappings, Mappings::generated(7, 1_000));
    /// ```
    pub fn generated(seed: u64, count: usize) -> Self {
        const FLOW_ID_RANGES: [(u64, u64); 3] =
            [(1, 1 << 31), (1 << 31, 1 << 53), (1 << 53, i64::MAX as u64)];

        let mut rng = Pcg64::seed_from_u64(seed);
        let mut mappings = Self::new();
        while mappings.len() < count {
            let workflow_id = rng.random_range(1..(1u64 << 33));
            let (low, high) = FLOW_ID_RANGES[rng.random_range(0..FLOW_ID_RANGES.len())];
            let flow_id = rng.random_range(low..high);
            if mappings.flow_by_workflow.contains_key(&workflow_id)
                || mappings.workflow_by_flow.contains_key(&flow_id)
            {
                continue;
            }
            mappings.insert_unchecked(workflow_id, flow_id);
        }
        mappings
    }

    /// Builds a set from pairs. A pair that is repeated exactly is kept once.
    ///
    /// # Errors
    ///
    /// Returns [`MappingsError::IdOutOfRange`] for a pair with an ID above [`MAX_ID`], and
    /// [`MappingsError::Conflict`] when one ID would get two different partners.
    pub fn from_pairs(pairs: impl IntoIterator<Item = Mapping>) -> Result<Self, MappingsError> {
        let mut mappings = Self::new();
        for pair in pairs {
            mappings.insert(pair)?;
        }
        Ok(mappings)
    }

    /// Loads pairs from a `.csv` or `.json` file, chosen by the file name's extension.
    ///
    /// A CSV file has the header `workflowId,flowId`, columns in either order, and one pair a
    /// row. A JSON file is an array of `{"workflowId": …, "flowId": …}` objects whose IDs are
    /// JSON integers or decimal strings.
    ///
    /// # Errors
    ///
    /// Returns [`MappingsError::Io`] if the file cannot be read,
    /// [`MappingsError::UnsupportedExtension`] for other extensions, and the errors of
    /// [`Mappings::from_csv_str`] and [`Mappings::from_json_str`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, MappingsError> {
        let path = path.as_ref();
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        let read = || {
            std::fs::read_to_string(path).map_err(|source| MappingsError::Io {
                path: path.to_path_buf(),
                source,
            })
        };
        match extension.as_deref() {
            Some("csv") => Self::from_csv_str(&read()?),
            Some("json") => Self::from_json_str(&read()?),
            _ => Err(MappingsError::UnsupportedExtension {
                path: path.to_path_buf(),
            }),
        }
    }

    /// Parses CSV text with the header `workflowId,flowId`.
    ///
    /// ```
    /// use hubspot_workflow_ids_fake::Mappings;
    ///
    /// let mappings = Mappings::from_csv_str("workflowId,flowId\n17,4000000001\n")?;
    /// assert_eq!(mappings.workflow_id_for(4_000_000_001), Some(17));
    /// # Ok::<(), hubspot_workflow_ids_fake::MappingsError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`MappingsError::CsvHeader`] if a column is missing, [`MappingsError::Csv`] for
    /// invalid CSV or an invalid ID, such as one above [`MAX_ID`], with the record, line and
    /// value in its source, and [`MappingsError::Conflict`] as [`Mappings::from_pairs`]
    /// does.
    pub fn from_csv_str(text: &str) -> Result<Self, MappingsError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header = reader.headers().map_err(MappingsError::Csv)?;
        if !["workflowId", "flowId"]
            .iter()
            .all(|column| header.iter().any(|field| field == *column))
        {
            return Err(MappingsError::CsvHeader {
                header: header.iter().collect::<Vec<_>>().join(","),
            });
        }
        let pairs = reader
            .deserialize::<Mapping>()
            .collect::<Result<Vec<_>, _>>()
            .map_err(MappingsError::Csv)?;
        Self::from_pairs(pairs)
    }

    /// Parses a JSON array of `{"workflowId": …, "flowId": …}` objects.
    ///
    /// ```
    /// use hubspot_workflow_ids_fake::Mappings;
    ///
    /// let mappings = Mappings::from_json_str(r#"[{"workflowId": 17, "flowId": "4000000001"}]"#)?;
    /// assert_eq!(mappings.flow_id_for(17), Some(4_000_000_001));
    /// # Ok::<(), hubspot_workflow_ids_fake::MappingsError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`MappingsError::Json`] for invalid JSON, a missing field or an invalid ID,
    /// such as one above [`MAX_ID`], with the line, column and value in its source, and
    /// [`MappingsError::Conflict`] as [`Mappings::from_pairs`] does.
    pub fn from_json_str(text: &str) -> Result<Self, MappingsError> {
        let pairs: Vec<Mapping> = serde_json::from_str(text).map_err(MappingsError::Json)?;
        Self::from_pairs(pairs)
    }

    /// Adds one pair. Adding a pair that is already present changes nothing.
    ///
    /// # Errors
    ///
    /// Returns [`MappingsError::IdOutOfRange`] when either ID exceeds [`MAX_ID`], and
    /// [`MappingsError::Conflict`] when either ID already has a different partner.
    pub fn insert(&mut self, pair: Mapping) -> Result<(), MappingsError> {
        if pair.workflow_id > MAX_ID || pair.flow_id > MAX_ID {
            return Err(MappingsError::IdOutOfRange { pair });
        }
        let conflict_by_workflow = self
            .flow_by_workflow
            .get(&pair.workflow_id)
            .map(|&flow_id| Mapping {
                workflow_id: pair.workflow_id,
                flow_id,
            });
        let conflict_by_flow = self
            .workflow_by_flow
            .get(&pair.flow_id)
            .map(|&workflow_id| Mapping {
                workflow_id,
                flow_id: pair.flow_id,
            });
        for existing in [conflict_by_workflow, conflict_by_flow]
            .into_iter()
            .flatten()
        {
            if existing != pair {
                return Err(MappingsError::Conflict {
                    first: existing,
                    second: pair,
                });
            }
        }
        self.insert_unchecked(pair.workflow_id, pair.flow_id);
        Ok(())
    }

    fn insert_unchecked(&mut self, workflow_id: u64, flow_id: u64) {
        debug_assert!(workflow_id <= MAX_ID && flow_id <= MAX_ID);
        self.flow_by_workflow.insert(workflow_id, flow_id);
        self.workflow_by_flow.insert(flow_id, workflow_id);
    }

    /// Returns the flow ID that `workflow_id` maps to.
    pub fn flow_id_for(&self, workflow_id: u64) -> Option<u64> {
        self.flow_by_workflow.get(&workflow_id).copied()
    }

    /// Returns the workflow ID that `flow_id` maps to.
    pub fn workflow_id_for(&self, flow_id: u64) -> Option<u64> {
        self.workflow_by_flow.get(&flow_id).copied()
    }

    /// Returns the number of pairs.
    pub fn len(&self) -> usize {
        self.flow_by_workflow.len()
    }

    /// Returns whether the set has no pairs.
    pub fn is_empty(&self) -> bool {
        self.flow_by_workflow.is_empty()
    }

    /// Returns all pairs, sorted by workflow ID.
    pub fn to_vec(&self) -> Vec<Mapping> {
        let mut pairs: Vec<Mapping> = self
            .flow_by_workflow
            .iter()
            .map(|(&workflow_id, &flow_id)| Mapping {
                workflow_id,
                flow_id,
            })
            .collect();
        pairs.sort_by_key(|pair| pair.workflow_id);
        pairs
    }
}

/// Returns why `pair` is rejected for an ID above [`MAX_ID`], naming the first such ID.
fn out_of_range_reason(pair: &Mapping) -> String {
    let (kind, value) = if pair.workflow_id > MAX_ID {
        ("workflow", pair.workflow_id)
    } else {
        ("flow", pair.flow_id)
    };
    format!("{kind} ID {value} {EXCEEDS_MAX_ID}")
}

/// End of the message for an ID above [`MAX_ID`].
const EXCEEDS_MAX_ID: &str = "exceeds the maximum 9223372036854775807 (i64::MAX), because \
                              HubSpot IDs are signed 64-bit integers";

/// Deserializes an ID given as a non-negative integer or as a decimal string, at most
/// [`MAX_ID`].
fn deserialize_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct IdVisitor;

    impl Visitor<'_> for IdVisitor {
        type Value = u64;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a non-negative integer ID or a decimal string")
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
            if value > MAX_ID {
                return Err(E::custom(format!("invalid ID {value}: {EXCEEDS_MAX_ID}")));
            }
            Ok(value)
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value)
                .map_err(|_| E::custom(format!("invalid ID {value}: IDs must not be negative")))
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<u64, E> {
            match crate::wire::parse_decimal_id(value) {
                Some(id) if id <= MAX_ID => Ok(id),
                _ => Err(E::custom(format!(
                    "invalid ID {value:?}: expected a decimal integer from 0 to {MAX_ID}"
                ))),
            }
        }
    }

    deserializer.deserialize_any(IdVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_leaves_1004_unmapped() {
        let demo = Mappings::demo();
        assert_eq!(demo.len(), DEMO_PAIRS.len());
        assert_eq!(demo.flow_id_for(1004), None);
        assert_eq!(demo.flow_id_for(1007), None);
        assert_eq!(demo.workflow_id_for(2_147_483_648), Some(1002));
    }

    #[test]
    fn generated_is_reproducible_and_bijective() {
        let first = Mappings::generated(42, 500);
        assert_eq!(first, Mappings::generated(42, 500));
        assert_ne!(first, Mappings::generated(43, 500));
        for pair in first.to_vec() {
            assert_eq!(first.workflow_id_for(pair.flow_id), Some(pair.workflow_id));
            assert!(pair.flow_id <= i64::MAX as u64);
        }
    }

    #[test]
    fn insert_rejects_conflicting_flow_id() {
        let mut mappings = Mappings::new();
        let first = Mapping {
            workflow_id: 1,
            flow_id: 10,
        };
        mappings.insert(first).unwrap();
        mappings.insert(first).unwrap();
        let error = mappings
            .insert(Mapping {
                workflow_id: 2,
                flow_id: 10,
            })
            .unwrap_err();
        assert!(matches!(error, MappingsError::Conflict { .. }), "{error}");
        assert_eq!(mappings.len(), 1);
    }

    #[test]
    fn csv_accepts_swapped_columns() {
        let mappings = Mappings::from_csv_str("flowId,workflowId\n 9223372036854775807 , 5\n");
        assert_eq!(mappings.unwrap().flow_id_for(5), Some(MAX_ID));
    }

    #[test]
    fn insert_rejects_ids_above_i64_max() {
        let mut mappings = Mappings::new();
        for pair in [
            Mapping {
                workflow_id: MAX_ID + 1,
                flow_id: 10,
            },
            Mapping {
                workflow_id: 1,
                flow_id: u64::MAX,
            },
        ] {
            let error = mappings.insert(pair).unwrap_err();
            assert!(
                matches!(error, MappingsError::IdOutOfRange { pair: rejected } if rejected == pair),
                "{error}"
            );
            let message = error.to_string();
            let value = pair.workflow_id.max(pair.flow_id).to_string();
            assert!(message.contains(&value), "{message}");
        }
        assert!(mappings.is_empty());

        let error = Mappings::from_pairs([Mapping {
            workflow_id: 2,
            flow_id: MAX_ID + 1,
        }])
        .unwrap_err();
        assert!(error.to_string().contains("9223372036854775808"), "{error}");
    }

    #[test]
    fn csv_rejects_ids_above_i64_max() {
        let error =
            Mappings::from_csv_str("workflowId,flowId\n1,2\n3,9223372036854775808\n").unwrap_err();
        let MappingsError::Csv(source) = &error else {
            panic!("expected a CSV error, got {error}");
        };
        let message = source.to_string();
        assert!(message.contains("line: 3"), "{message}");
        assert!(message.contains("9223372036854775808"), "{message}");
    }

    #[test]
    fn json_rejects_ids_above_i64_max() {
        for text in [
            r#"[{"workflowId": 1, "flowId": 9223372036854775808}]"#,
            r#"[{"workflowId": "9223372036854775808", "flowId": 2}]"#,
        ] {
            let error = Mappings::from_json_str(text).unwrap_err();
            let MappingsError::Json(source) = &error else {
                panic!("expected a JSON error, got {error}");
            };
            let message = source.to_string();
            assert!(message.contains("9223372036854775808"), "{message}");
            assert!(message.contains("line 1"), "{message}");
        }
    }

    #[test]
    fn json_rejects_negative_id() {
        let error = Mappings::from_json_str(r#"[{"workflowId": -1, "flowId": 2}]"#).unwrap_err();
        assert!(matches!(error, MappingsError::Json(_)), "{error}");
    }
}
