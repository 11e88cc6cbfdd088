//! Sources turn inputs into bytes with a location and know nothing of rules: `reader` scans any
//! byte stream in overlapping chunks and numbers lines; `files` walks paths in parallel; `git`
//! reads history; `staged` reads what is about to be committed; `logs` reads CI logs and
//! `archive` opens zip, gzip and tar files for both.

pub mod archive;
pub mod files;
pub mod git;
pub mod logs;
mod packidx;
pub mod reader;
pub mod staged;
