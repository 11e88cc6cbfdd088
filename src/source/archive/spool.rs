//! A nested zip, which needs seeking, read from a stream: held in memory up to
//! [`SPOOL_IN_MEMORY`] bytes, spilled to an anonymous temporary file beyond.

use std::io::{self, Read, Seek, Write};

use super::{Input, SPOOL_IN_MEMORY};

/// Reads a nested zip: in memory up to [`SPOOL_IN_MEMORY`] bytes, in a temporary file (deleted
/// when closed) beyond.
pub(super) fn spool<'r>(r: &mut dyn Read) -> io::Result<Input<'r>> {
    let mut head = Vec::new();
    r.take(SPOOL_IN_MEMORY as u64 + 1).read_to_end(&mut head)?;
    if head.len() <= SPOOL_IN_MEMORY {
        return Ok(Input::Bytes(head));
    }
    let mut file = tempfile::tempfile()?;
    file.write_all(&head)?;
    drop(head);
    io::copy(r, &mut file)?;
    file.rewind()?;
    Ok(Input::File(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_zip_spills_to_a_file_beyond_the_memory_bound() {
        let small = spool(&mut &[7u8; 100][..]).unwrap();
        assert!(matches!(small, Input::Bytes(b) if b.len() == 100));
        let big = vec![7u8; SPOOL_IN_MEMORY + 10];
        match spool(&mut &big[..]).unwrap() {
            Input::File(f) => assert_eq!(f.metadata().unwrap().len(), big.len() as u64),
            _ => panic!("held in memory"),
        }
    }
}
