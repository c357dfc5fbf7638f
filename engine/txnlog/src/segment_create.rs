//! Making segments: the durability sequences that make a new `log.<zxid>`
//! appear whole (header plus written zeros) or not at all.
//!
//! Two ways: [`create_segment`] does everything on the spot; or
//! [`prepare_segment`] zero-fills a spare file ahead of time (off the
//! commit path: the log thread runs it on a helper thread) and
//! [`activate_segment`] later gives it a header and its name, which costs
//! one small write, one fdatasync, a rename and a directory fsync.

use std::io;
use std::path::Path;

use crate::aligned_buf::AlignedBuf;
use crate::error::{FatalError, IoOp};
use crate::format::{SegmentHeader, SEGMENT_HEADER_BYTES};
use crate::segment_name::{segment_file_name, temp_file_name, PREALLOC_FILE_NAME};
use crate::storage::Storage;

/// Zeros are written, and fdatasync'd, in chunks of this many bytes.
pub const ZERO_FILL_CHUNK_BYTES: usize = 1024 * 1024;

fn fail(op: IoOp, path: &Path, offset: Option<u64>, error: io::Error) -> FatalError {
    FatalError::new(op, path.to_path_buf(), offset, &error)
}

/// Creates `path` afresh (removing a leftover) and writes `size_bytes`:
/// `header` (if any) then zeros, in aligned chunks, each fdatasync'd.
/// Written zeros, not a sparse hole or fallocate: later fdatasyncs then
/// change no block allocation, so they write data only.
fn create_zero_filled<S: Storage>(
    storage: &S,
    path: &Path,
    header: Option<&[u8]>,
    size_bytes: u64,
) -> Result<S::File, FatalError> {
    if storage.open_read(path).is_ok() {
        storage
            .remove(path)
            .map_err(|error| fail(IoOp::CreateSegment, path, None, error))?;
    }
    let file = storage
        .create_new(path)
        .map_err(|error| fail(IoOp::CreateSegment, path, None, error))?;
    let alignment = storage.write_alignment_bytes().max(1) as u64;
    if size_bytes % alignment != 0 || size_bytes < SEGMENT_HEADER_BYTES as u64 {
        let error = io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "segment size {size_bytes} is not a multiple of the write alignment {alignment}"
            ),
        );
        return Err(fail(IoOp::CreateSegment, path, None, error));
    }
    let chunk_bytes = (ZERO_FILL_CHUNK_BYTES as u64).min(size_bytes) as usize;
    let mut zeros = AlignedBuf::with_capacity(chunk_bytes);
    zeros.extend_zeros(chunk_bytes);
    let mut first = AlignedBuf::with_capacity(chunk_bytes);
    let header = header.unwrap_or_default();
    first.extend_from_slice(header);
    first.extend_zeros(chunk_bytes - header.len());
    let mut offset = 0u64;
    while offset < size_bytes {
        let length = (size_bytes - offset).min(chunk_bytes as u64) as usize;
        let source = if offset == 0 { &first } else { &zeros };
        storage
            .pwrite(&file, offset, &source.as_slice()[..length])
            .map_err(|error| fail(IoOp::CreateSegment, path, Some(offset), error))?;
        offset += length as u64;
        // One chunk at a time reaches the device: a whole segment (64 MiB by
        // default) flushed by one fdatasync would queue ahead of the log's
        // own fdatasyncs on the same device and stall commits for its length.
        storage
            .fdatasync(&file)
            .map_err(|error| fail(IoOp::Fdatasync, path, Some(offset), error))?;
    }
    Ok(file)
}

/// Gives `from` the name `log.<first_zxid hex>` (refused if that exists),
/// then fsyncs `dir` so the name survives a crash.
fn publish<S: Storage>(
    storage: &S,
    dir: &Path,
    from: &Path,
    first_zxid: i64,
) -> Result<(), FatalError> {
    let final_path = dir.join(segment_file_name(first_zxid));
    if storage.open_read(&final_path).is_ok() {
        let error = io::Error::new(io::ErrorKind::AlreadyExists, "segment already exists");
        return Err(fail(IoOp::CreateSegment, &final_path, None, error));
    }
    storage
        .rename(from, &final_path)
        .map_err(|error| fail(IoOp::Rename, from, None, error))?;
    storage
        .sync_dir(dir)
        .map_err(|error| fail(IoOp::SyncDir, dir, None, error))
}

/// Creates segment `log.<first_zxid hex>` in `dir`, `size_bytes` long, and
/// returns it open for writing. In this order, each step only after the
/// previous returned:
///
/// 1. create `log.<hex>.tmp` (a leftover one from a crash is removed first);
/// 2. write the header, then zeros up to `size_bytes`;
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
    let header = SegmentHeader { first_zxid }.encode();
    let file = create_zero_filled(storage, &temp_path, Some(&header), size_bytes)?;
    publish(storage, dir, &temp_path, first_zxid)?;
    Ok(file)
}

/// Zero-fills a spare segment `log.prealloc.tmp` of `size_bytes` in `dir`
/// (no header yet) and fdatasyncs it. It is not a segment until
/// [`activate_segment`]; recovery removes a leftover one.
pub fn prepare_segment<S: Storage>(
    storage: &S,
    dir: &Path,
    size_bytes: u64,
) -> Result<S::File, FatalError> {
    create_zero_filled(storage, &dir.join(PREALLOC_FILE_NAME), None, size_bytes)
}

/// Turns the prepared spare into segment `log.<first_zxid hex>`: write the
/// header (the whole first block when writes are aligned), fdatasync,
/// rename, fsync `dir`. The same crash outcomes as [`create_segment`].
pub fn activate_segment<S: Storage>(
    storage: &S,
    dir: &Path,
    spare: &S::File,
    first_zxid: i64,
) -> Result<(), FatalError> {
    let spare_path = dir.join(PREALLOC_FILE_NAME);
    let alignment = storage.write_alignment_bytes().max(SEGMENT_HEADER_BYTES);
    let mut block = AlignedBuf::with_capacity(alignment);
    block.extend_from_slice(&SegmentHeader { first_zxid }.encode());
    if storage.write_alignment_bytes() > 1 {
        block.extend_zeros(alignment - SEGMENT_HEADER_BYTES);
    }
    storage
        .pwrite(spare, 0, block.as_slice())
        .map_err(|error| fail(IoOp::CreateSegment, &spare_path, Some(0), error))?;
    storage
        .fdatasync(spare)
        .map_err(|error| fail(IoOp::Fdatasync, &spare_path, None, error))?;
    publish(storage, dir, &spare_path, first_zxid)
}
