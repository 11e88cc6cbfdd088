//! Standard input as a source: scanned as it arrives (see [`super::arriving`]), located at `-`.

use std::io;

use super::reader::Origin;
use super::{Source, SourceError};
use crate::scan::Scanner;

/// Standard input, scanned as it arrives, located at `-`.
pub struct Stdin;

impl Source for Stdin {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        scanner.scan_arriving("-", io::stdin().lock(), |l| {
            let location = l.location("-", &Origin::Stdin);
            scanner.record(l.hit, location);
        });
        Ok(())
    }
}
