//! Reading and validating the input IDs before anything is sent.

use std::collections::HashSet;
use std::fmt;
use std::io::BufRead;
use std::path::Path;

use hubspot_workflow_ids::{Id, IdKind, InputError};

use crate::error::CliError;

/// Source position of an input value, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The n-th ID argument, from 1.
    Argument(usize),
    /// Line n, from 1, of a file or of standard input.
    Line { source: String, line: usize },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Argument(index) => write!(f, "argument {index}"),
            Location::Line { source, line } => write!(f, "line {line} of {source}"),
        }
    }
}

/// The validated IDs of a run.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Every ID in the order given, duplicates included.
    pub ids: Vec<Id>,
    /// The distinct IDs, in the order they first appeared.
    pub unique: Vec<Id>,
}

/// Reads the ID arguments, then the `--input` file (or standard input for `-`), and parses every
/// value as an ID of `kind`. Invalid values are collected, so that one error names each of them
/// (up to [`MAX_REPORTED_INVALID`]) with its location, and a file can be fixed in one pass.
pub fn read_inputs(
    kind: IdKind,
    arguments: &[String],
    file: Option<&Path>,
) -> Result<Inputs, CliError> {
    let mut inputs = Inputs::default();
    let mut seen = HashSet::new();
    let mut invalid = InvalidIds::default();
    let mut push = |value: &str, location: Location| -> Result<(), CliError> {
        match Id::parse(kind, value.trim()) {
            Ok(id) => {
                inputs.ids.push(id);
                if seen.insert(id) {
                    inputs.unique.push(id);
                }
            }
            Err(source) => invalid.add(location, source),
        }
        Ok(())
    };

    for (index, value) in arguments.iter().enumerate() {
        push(value, Location::Argument(index + 1))?;
    }
    if let Some(path) = file {
        let (reader, source): (Box<dyn BufRead>, String) = if path == Path::new("-") {
            (
                Box::new(std::io::stdin().lock()),
                "standard input".to_owned(),
            )
        } else {
            let file = std::fs::File::open(path).map_err(|source| CliError::ReadInput {
                path: path.display().to_string(),
                source,
            })?;
            (
                Box::new(std::io::BufReader::new(file)),
                path.display().to_string(),
            )
        };
        for (index, line) in reader.lines().enumerate() {
            let line = line.map_err(|error| CliError::ReadInput {
                path: source.clone(),
                source: error,
            })?;
            // A byte-order mark, which some editors write, is not part of the first ID.
            let line = if index == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                &line
            };
            let value = strip_comment(line);
            if !value.is_empty() {
                push(
                    value,
                    Location::Line {
                        source: source.clone(),
                        line: index + 1,
                    },
                )?;
            }
        }
    }
    if invalid.total > 0 {
        return Err(CliError::InvalidIds(invalid));
    }
    if inputs.ids.is_empty() {
        return Err(CliError::NoInput);
    }
    Ok(inputs)
}

/// Most invalid values one error lists; the rest are counted.
pub const MAX_REPORTED_INVALID: usize = 20;

/// Invalid input values with their locations: the first [`MAX_REPORTED_INVALID`], and how many
/// there were in all.
#[derive(Debug, Default)]
pub struct InvalidIds {
    pub listed: Vec<(Location, InputError)>,
    pub total: usize,
}

impl InvalidIds {
    fn add(&mut self, location: Location, error: InputError) {
        self.total += 1;
        if self.listed.len() < MAX_REPORTED_INVALID {
            self.listed.push((location, error));
        }
    }
}

impl fmt::Display for InvalidIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.total == 1 {
            f.write_str("1 invalid ID; fix it and run again:")?;
        } else {
            write!(f, "{} invalid IDs; fix them and run again:", self.total)?;
        }
        for (location, error) in &self.listed {
            write!(f, "\n  at {location}: {error}")?;
        }
        let unlisted = self.total - self.listed.len();
        if unlisted > 0 {
            write!(f, "\n  and {unlisted} more")?;
        }
        Ok(())
    }
}

/// Returns the part of `line` before any `#`, without surrounding white space.
fn strip_comment(line: &str) -> &str {
    line.split_once('#').map_or(line, |(value, _)| value).trim()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        assert_eq!(strip_comment("  1001  # legacy"), "1001");
        assert_eq!(strip_comment("# header"), "");
        assert_eq!(strip_comment("   "), "");
    }

    #[test]
    fn file_ids_follow_arguments_and_duplicates_collapse() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "# exported IDs\n1002\n\n1001 # again\n1003").unwrap();
        let inputs = read_inputs(IdKind::Workflow, &["1001".into()], Some(file.path())).unwrap();
        let raw: Vec<u64> = inputs.ids.iter().map(|id| id.get()).collect();
        let unique: Vec<u64> = inputs.unique.iter().map(|id| id.get()).collect();
        assert_eq!(raw, [1001, 1002, 1001, 1003]);
        assert_eq!(unique, [1001, 1002, 1003]);
    }

    #[test]
    fn invalid_line_names_value_and_line() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "1001\n# comment\n12a4").unwrap();
        let error = read_inputs(IdKind::Flow, &[], Some(file.path()))
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 3 of"), "{error}");
        assert!(error.contains("12a4"), "{error}");
    }

    #[test]
    fn invalid_argument_names_its_position() {
        let error = read_inputs(IdKind::Flow, &["1".into(), "-5".into()], None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("argument 2"), "{error}");
        assert!(error.contains("-5"), "{error}");
    }

    #[test]
    fn every_invalid_line_is_listed() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "x1\n1001\n-2\n\n99999999999999999999").unwrap();
        let error = read_inputs(IdKind::Workflow, &[], Some(file.path()))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("3 invalid IDs; fix them and run again:"),
            "{error}"
        );
        assert!(error.contains("at line 1 of"), "{error}");
        assert!(error.contains("at line 3 of"), "{error}");
        assert!(error.contains("at line 5 of"), "{error}");
        assert!(!error.contains("more"), "{error}");
    }

    #[test]
    fn invalid_list_is_capped() {
        let arguments: Vec<String> = (0..25).map(|index| format!("bad{index}")).collect();
        let error = read_inputs(IdKind::Flow, &arguments, None)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("25 invalid IDs"), "{error}");
        assert_eq!(
            error.matches("\n  at argument").count(),
            MAX_REPORTED_INVALID
        );
        assert!(error.ends_with("\n  and 5 more"), "{error}");
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "\u{feff}1001").unwrap();
        let inputs = read_inputs(IdKind::Workflow, &[], Some(file.path())).unwrap();
        assert_eq!(inputs.ids.len(), 1);
        assert_eq!(inputs.ids[0].get(), 1001);
    }

    #[test]
    fn no_ids_is_an_error() {
        assert!(matches!(
            read_inputs(IdKind::Flow, &[], None),
            Err(CliError::NoInput)
        ));
    }
}
