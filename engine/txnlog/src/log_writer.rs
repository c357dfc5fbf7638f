//! The inline driver of [`GroupCommit`]: performs its actions through a
//! [`Storage`] on the caller's thread. Tests drive the simulated disk with
//! it; [`crate::LogThread`] runs one on a dedicated thread.

use std::path::{Path, PathBuf};

use crate::config::LogConfig;
use crate::error::{AppendError, FatalError, IoOp};
use crate::group_commit::{Action, Completion, GroupCommit};
use crate::recovery::RecoveredLog;
use crate::segment_create::{activate_segment, create_segment, prepare_segment};
use crate::segment_name::segment_file_name;
use crate::storage::Storage;

/// A txn log open for appending.
pub struct LogWriter<S: Storage> {
    storage: S,
    dir: PathBuf,
    machine: GroupCommit,
    /// The segment records go to, open for writing, by first zxid.
    segment: Option<(i64, S::File)>,
    /// The zero-filled spare segment, once prepared.
    spare: Option<S::File>,
    /// Whether [`LogWriter::step`] prepares the spare itself (the log
    /// thread does it on a helper thread instead).
    prepare_inline: bool,
    /// Named in the slow-fsync warning ("fsync-ing ... in `<thread>`").
    thread_name: String,
    warnings: Vec<String>,
}

impl<S: Storage> LogWriter<S> {
    /// Opens the log that [`crate::recover`] returned, continuing after its
    /// last record.
    pub fn open(
        storage: S,
        recovered: &RecoveredLog,
        config: LogConfig,
    ) -> Result<Self, FatalError> {
        let alignment = storage.write_alignment_bytes().max(1);
        let mut tail = recovered.tail.clone();
        let segment = match &mut tail {
            Some(tail) => {
                let path = recovered
                    .dir
                    .join(segment_file_name(tail.segment_first_zxid));
                let fail =
                    |error: std::io::Error| FatalError::new(IoOp::Open, path.clone(), None, &error);
                // The block the next batch rewrites, read as this storage
                // aligns (recovery may have run with another alignment).
                let block_start = tail.end_offset - tail.end_offset % alignment as u64;
                tail.tail_block = vec![0u8; (tail.end_offset - block_start) as usize];
                let reader = storage.open_read(&path).map_err(fail)?;
                storage
                    .read_exact_at(&reader, block_start, &mut tail.tail_block)
                    .map_err(fail)?;
                let file = storage.open_write(&path).map_err(fail)?;
                Some((tail.segment_first_zxid, file))
            }
            None => None,
        };
        let thread_name = std::thread::current()
            .name()
            .unwrap_or("txnlog")
            .to_string();
        Ok(LogWriter {
            storage,
            dir: recovered.dir.clone(),
            machine: GroupCommit::new(config, alignment, tail),
            segment,
            spare: None,
            prepare_inline: true,
            thread_name,
            warnings: Vec::new(),
        })
    }

    /// Names the thread in slow-fsync warnings.
    pub fn set_thread_name(&mut self, thread_name: &str) {
        self.thread_name = thread_name.to_string();
    }

    /// Queues a record; when PENDING_BYTES_MAX bytes already wait, writes
    /// them first. Durable once a [`Completion`] covers its zxid.
    pub fn append(&mut self, zxid: i64, payload: &[u8]) -> Result<(), AppendError> {
        let now_us = self.storage.now_us();
        match self.machine.append(zxid, payload, now_us) {
            Err(AppendError::PendingFull { .. }) => {
                self.flush().map_err(AppendError::Fatal)?;
                self.machine.append(zxid, payload, self.storage.now_us())
            }
            other => other,
        }
    }

    /// Performs what is due: at most one batch (creating a segment first
    /// when the batch needs one). Returns the batch's completion.
    pub fn step(&mut self) -> Result<Option<Completion>, FatalError> {
        loop {
            if let Some(error) = self.machine.fatal() {
                return Err(error.clone());
            }
            if self.prepare_inline {
                if let Some(size_bytes) = self.machine.next_prepare() {
                    let prepared = prepare_segment(&self.storage, &self.dir, size_bytes);
                    self.on_segment_prepared(prepared)?;
                }
            }
            let Some(action) = self.machine.next_action(self.storage.now_us()) else {
                return Ok(None);
            };
            match action {
                Action::ActivateSegment { first_zxid, .. } => {
                    self.segment = None;
                    let result = match self.spare.take() {
                        Some(spare) => {
                            activate_segment(&self.storage, &self.dir, &spare, first_zxid).map(
                                |()| {
                                    self.segment = Some((first_zxid, spare));
                                },
                            )
                        }
                        None => Err(FatalError::new(
                            IoOp::CreateSegment,
                            self.dir.clone(),
                            None,
                            &std::io::Error::other("no spare segment to activate"),
                        )),
                    };
                    self.machine.on_segment_created(result)?;
                }
                Action::CreateSegment {
                    first_zxid,
                    size_bytes,
                } => {
                    self.segment = None;
                    let created = create_segment(&self.storage, &self.dir, first_zxid, size_bytes);
                    let result = created.map(|file| {
                        self.segment = Some((first_zxid, file));
                    });
                    self.machine.on_segment_created(result)?;
                }
                Action::Write {
                    segment_first_zxid,
                    offset,
                    bytes,
                    sync,
                    ..
                } => {
                    let path = self.dir.join(segment_file_name(segment_first_zxid));
                    let result = match &self.segment {
                        Some((first_zxid, file)) if *first_zxid == segment_first_zxid => self
                            .storage
                            .append_and_sync(file, offset, bytes.as_slice(), sync)
                            .map_err(|error| {
                                FatalError::new(IoOp::AppendAndSync, path, Some(offset), &error)
                            }),
                        _ => Err(FatalError::new(
                            IoOp::Open,
                            path,
                            None,
                            &std::io::Error::other("the segment to write is not open"),
                        )),
                    };
                    let now_us = self.storage.now_us();
                    let completion = self.machine.on_write_done(bytes, result, now_us)?;
                    if let Some(slow) = completion.slow_sync {
                        self.warnings.push(slow.message(&self.thread_name));
                    }
                    return Ok(Some(completion));
                }
            }
        }
    }

    /// Writes everything pending now, whatever the batch policy; returns
    /// the last durable zxid.
    pub fn flush(&mut self) -> Result<Option<i64>, FatalError> {
        if let Some(error) = self.machine.fatal() {
            return Err(error.clone());
        }
        self.machine.request_flush();
        while !self.machine.is_idle() {
            if self.step()?.is_none() && !self.machine.is_idle() {
                self.machine.request_flush();
            }
        }
        Ok(self.machine.last_durable_zxid())
    }

    /// Leaves preparing the spare segment to the caller
    /// ([`LogWriter::take_prepare_request`], [`LogWriter::on_segment_prepared`]).
    pub(crate) fn set_prepare_inline(&mut self, inline: bool) {
        self.prepare_inline = inline;
    }

    /// The size of a spare segment to prepare now, if one is wanted.
    pub(crate) fn take_prepare_request(&mut self) -> Option<u64> {
        self.machine.next_prepare()
    }

    /// The spare segment prepared (or the error doing it, which is fatal).
    pub(crate) fn on_segment_prepared(
        &mut self,
        prepared: Result<S::File, FatalError>,
    ) -> Result<(), FatalError> {
        let result = prepared.map(|file| {
            self.spare = Some(file);
        });
        self.machine.on_segment_prepared(result)
    }

    /// Slow-fsync warnings since the last call, worded as ZooKeeper's.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    pub fn machine(&self) -> &GroupCommit {
        &self.machine
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn last_durable_zxid(&self) -> Option<i64> {
        self.machine.last_durable_zxid()
    }
}
