//! Sources turn inputs into bytes with a location and know nothing of rules: `reader` scans any
//! byte stream in overlapping chunks and numbers lines; `files` walks paths in parallel.

pub mod files;
pub mod reader;
