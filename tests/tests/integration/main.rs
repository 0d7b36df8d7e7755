//! Postern's integration tests, in one binary so that they link once.

mod adapters;
