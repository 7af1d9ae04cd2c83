//! Workspace integration tests live under `tests/tests`; this library is empty.
