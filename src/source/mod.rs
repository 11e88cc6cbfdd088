//! Sources turn inputs into bytes with a location and know nothing of rules: `reader` scans any
//! byte stream in overlapping chunks and numbers lines; `files` walks paths in parallel; `git`
//! reads history; `staged` reads what is about to be committed.

pub mod files;
pub mod git;
mod packidx;
pub mod reader;
pub mod staged;
