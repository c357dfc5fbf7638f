//! Creating a segment: the one durability sequence that makes a new
//! `log.<zxid>` appear whole (header plus written zeros) or not at all.

use std::io;
use std::path::Path;

use crate::aligned_buf::AlignedBuf;
use crate::error::{FatalError, IoOp};
use crate::format::{SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::segment_name::{segment_file_name, temp_file_name};
use crate::storage::Storage;

/// Zeros are written in chunks of this many bytes.
pub const ZERO_FILL_CHUNK_BYTES: usize = 1024 * 1024;

/// Creates segment `log.<first_zxid hex>` in `dir`, `size_bytes` long, and
/// returns it open for writing. In this order, each step only after the
/// previous returned:
///
/// 1. create `log.<hex>.tmp` (a leftover one from a crash is removed first);
/// 2. write the header, then zeros up to `size_bytes` (written zeros, not
///    a sparse hole or fallocate: later fdatasyncs then change no block
///    allocation, so they write data only);
/// 3. fdatasync the temporary file;
/// 4. rename it to `log.<hex>` (refused if that name exists);
/// 5. fsync `dir`, so the name survives a crash.
///
/// A crash before 5 leaves at most a `.tmp` file (recovery removes it) or a
/// complete, empty segment; never a `log.<hex>` with a torn header. No
/// record is written into the segment before 5 returned.
pub fn create_segment<S: Storage>(
    storage: &S,
    dir: &Path,
    first_zxid: i64,
    size_bytes: u64,
) -> Result<S::File, FatalError> {
    let temp_path = dir.join(temp_file_name(first_zxid));
    let final_path = dir.join(segment_file_name(first_zxid));
    let fail = |op: IoOp, path: &Path, offset: Option<u64>, error: io::Error| {
        FatalError::new(op, path.to_path_buf(), offset, &error)
    };
    if storage.open_read(&final_path).is_ok() {
        let error = io::Error::new(io::ErrorKind::AlreadyExists, "segment already exists");
        return Err(fail(IoOp::CreateSegment, &final_path, None, error));
    }
    if storage.open_read(&temp_path).is_ok() {
        storage
            .remove(&temp_path)
            .map_err(|error| fail(IoOp::CreateSegment, &temp_path, None, error))?;
    }
    let file = storage
        .create_new(&temp_path)
        .map_err(|error| fail(IoOp::CreateSegment, &temp_path, None, error))?;
    let alignment = storage.write_alignment_bytes().max(1) as u64;
    if size_bytes % alignment != 0 || size_bytes < SEGMENT_HEADER_BYTES as u64 {
        let error = io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "segment size {size_bytes} is not a multiple of the write alignment {alignment}"
            ),
        );
        return Err(fail(IoOp::CreateSegment, &temp_path, None, error));
    }
    let chunk_bytes = (ZERO_FILL_CHUNK_BYTES as u64).min(size_bytes) as usize;
    let mut chunk = AlignedBuf::with_capacity(chunk_bytes);
    chunk.extend_zeros(chunk_bytes);
    let mut first = AlignedBuf::with_capacity(chunk_bytes);
    first.extend_from_slice(&SegmentHeader { first_zxid }.encode());
    first.extend_zeros(chunk_bytes - SEGMENT_HEADER_BYTES);
    let mut offset = 0u64;
    while offset < size_bytes {
        let length = (size_bytes - offset).min(chunk_bytes as u64) as usize;
        let source = if offset == 0 { &first } else { &chunk };
        storage
            .pwrite(&file, offset, &source.as_slice()[..length])
            .map_err(|error| fail(IoOp::CreateSegment, &temp_path, Some(offset), error))?;
        offset += length as u64;
    }
    storage
        .fdatasync(&file)
        .map_err(|error| fail(IoOp::Fdatasync, &temp_path, None, error))?;
    storage
        .rename(&temp_path, &final_path)
        .map_err(|error| fail(IoOp::Rename, &temp_path, None, error))?;
    storage
        .sync_dir(dir)
        .map_err(|error| fail(IoOp::SyncDir, dir, None, error))?;
    Ok(file)
}
