//! Group commit as a pure state machine: records in, file actions out,
//! their results in, durable zxids out. No files, clocks or threads: a
//! driver ([`crate::LogWriter`], [`crate::LogThread`]) performs each
//! [`Action`] through the [`crate::Storage`] seam and passes the time in.
//!
//! ```text
//!            append(zxid, payload) ──► pending frames
//!                                            │ next_action(now): no action in flight; a write
//!                                            │ only when the batch is due (bytes >= batch_bytes_max,
//!                                            │ waited batch_wait_max_us, or flush requested)
//!                       ┌────────────────────┴───────────────────────┐
//!          first record does not fit the segment            it fits
//!                       ▼                                            ▼
//!        ActivateSegment (the spare, if ready)     Write{offset, bytes, sync}: as many
//!        or CreateSegment (tmp, zero-fill,         records as fit batch_bytes_max and
//!         fdatasync, rename, fsync dir)            the segment, one write + one fdatasync
//!                       │ on_segment_created                         │ on_write_done
//!                       ▼                                            ▼
//!                next batch goes there                Completion{durable_through_zxid}
//! ```
//!
//! Apart from those actions, [`GroupCommit::next_prepare`] asks for a spare
//! segment to be zero-filled once the current one is half full; a driver
//! runs that beside the actions (the log thread on a helper thread), so a
//! segment roll costs a header write and two syncs, not a 64 MiB fill.
//!
//! One action is in flight at a time, so batch N+1 is written only after
//! batch N's fdatasync returned: a crash can tear at most the last batch,
//! and only bytes after every acknowledged record. Records appended while a
//! batch is in flight wait and go together in the next one. Any I/O error
//! makes the machine fail for good ([`FatalError`]): it never retries.

use std::collections::VecDeque;

use crate::aligned_buf::AlignedBuf;
use crate::config::LogConfig;
use crate::error::{AppendError, FatalError};
use crate::format::{
    encode_record, record_frame_bytes, zxid_follows, SegmentHeader, RECORD_PAYLOAD_BYTES_MAX,
    SEGMENT_HEADER_BYTES,
};

/// Where the log ends, as recovery found it: the segment the next record
/// goes into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTail {
    /// The segment's first zxid (its name).
    pub segment_first_zxid: i64,
    /// Offset where the next record goes.
    pub end_offset: u64,
    /// The segment file's size (its preallocated end).
    pub segment_bytes: u64,
    /// The last record's zxid.
    pub last_zxid: i64,
    /// The bytes from the write-aligned offset below `end_offset` up to
    /// it, rewritten with the next batch when writes must be aligned
    /// (O_DIRECT). Empty when the alignment is 1.
    pub tail_block: Vec<u8>,
}

/// A file operation for the driver to perform, then report.
#[derive(Debug)]
pub enum Action {
    /// Create segment `log.<first_zxid>`, `size_bytes` long, zero-filled,
    /// durably ([`crate::create_segment`]); then call
    /// [`GroupCommit::on_segment_created`].
    CreateSegment { first_zxid: i64, size_bytes: u64 },
    /// Make the prepared spare segment `log.<first_zxid>`
    /// ([`crate::activate_segment`]); then call
    /// [`GroupCommit::on_segment_created`].
    ActivateSegment { first_zxid: i64, size_bytes: u64 },
    /// Write `bytes` at `offset` of segment `segment_first_zxid`, then
    /// fdatasync when `sync` (one [`crate::Storage::append_and_sync`]);
    /// then call [`GroupCommit::on_write_done`] with the buffer.
    Write {
        segment_first_zxid: i64,
        offset: u64,
        bytes: AlignedBuf,
        sync: bool,
        through_zxid: i64,
    },
}

/// A batch that became durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// Every record with a zxid up to this one is on disk (fdatasync'ed,
    /// or written when forceSync is off).
    pub durable_through_zxid: i64,
    /// Records in the batch.
    pub records: usize,
    /// Set when the write and fdatasync took longer than
    /// fsync.warningthresholdms.
    pub slow_sync: Option<SlowSync>,
}

/// An fsync slower than fsync.warningthresholdms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowSync {
    pub elapsed_ms: u64,
    pub file_size_bytes: u64,
}

impl SlowSync {
    /// The warning as ZooKeeper words it (FileTxnLog.commit), so operators'
    /// alerts on "fsync-ing the write ahead log" keep working.
    pub fn message(&self, thread_name: &str) -> String {
        format!(
            "fsync-ing the write ahead log in {thread_name} took {}ms which will adversely effect \
             operation latency.File size is {} bytes. See the ZooKeeper troubleshooting guide",
            self.elapsed_ms, self.file_size_bytes
        )
    }
}

#[derive(Debug)]
struct Cursor {
    first_zxid: i64,
    end_offset: u64,
    size_bytes: u64,
    tail_block: Vec<u8>,
}

#[derive(Debug)]
enum InFlight {
    Segment {
        first_zxid: i64,
        size_bytes: u64,
    },
    Write {
        through_zxid: i64,
        records: usize,
        started_us: u64,
        sync: bool,
    },
}

/// The spare segment, zero-filled ahead of need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spare {
    None,
    Preparing { size_bytes: u64 },
    Ready { size_bytes: u64 },
}

/// The group-commit state machine.
#[derive(Debug)]
pub struct GroupCommit {
    config: LogConfig,
    alignment: usize,
    cursor: Option<Cursor>,
    last_appended_zxid: Option<i64>,
    last_durable_zxid: Option<i64>,
    /// Encoded frames not yet handed to a write, from `pending_start`.
    pending_frames: Vec<u8>,
    pending_start: usize,
    pending_records: VecDeque<(i64, usize)>,
    pending_since_us: Option<u64>,
    flush_requested: bool,
    in_flight: Option<InFlight>,
    spare_buffer: Option<AlignedBuf>,
    spare_segment: Spare,
    failed: Option<FatalError>,
}

/// The caller's mistakes an append refuses, in this order: an empty
/// payload, one over [`RECORD_PAYLOAD_BYTES_MAX`], a zxid that does not
/// follow `last_appended_zxid`. [`GroupCommit::append`] applies it, and so
/// does [`crate::LogThread::append`] on the caller's thread, so that the
/// mistake is answered at once rather than as a fatal error of the log.
pub(crate) fn check_record(
    last_appended_zxid: Option<i64>,
    zxid: i64,
    payload: &[u8],
) -> Result<(), AppendError> {
    if payload.is_empty() {
        return Err(AppendError::EmptyPayload { zxid });
    }
    if payload.len() > RECORD_PAYLOAD_BYTES_MAX {
        return Err(AppendError::PayloadTooLarge {
            zxid,
            bytes: payload.len(),
            max: RECORD_PAYLOAD_BYTES_MAX,
        });
    }
    if let Some(last_zxid) = last_appended_zxid {
        if !zxid_follows(last_zxid, zxid) {
            return Err(AppendError::ZxidOutOfOrder { last_zxid, zxid });
        }
    }
    Ok(())
}

fn align_down(value: u64, alignment: usize) -> u64 {
    value - value % alignment as u64
}

impl GroupCommit {
    /// A machine that continues after `tail` (None: an empty log) writing
    /// with `alignment` (the storage's [`crate::Storage::write_alignment_bytes`]).
    pub fn new(config: LogConfig, alignment: usize, tail: Option<LogTail>) -> GroupCommit {
        let alignment = alignment.max(1);
        let last_zxid = tail.as_ref().map(|tail| tail.last_zxid);
        let cursor = tail.map(|tail| {
            debug_assert_eq!(
                tail.tail_block.len() as u64,
                tail.end_offset - align_down(tail.end_offset, alignment)
            );
            Cursor {
                first_zxid: tail.segment_first_zxid,
                end_offset: tail.end_offset,
                size_bytes: tail.segment_bytes,
                tail_block: tail.tail_block,
            }
        });
        GroupCommit {
            config,
            alignment,
            cursor,
            last_appended_zxid: last_zxid,
            last_durable_zxid: last_zxid,
            pending_frames: Vec::new(),
            pending_start: 0,
            pending_records: VecDeque::new(),
            pending_since_us: None,
            flush_requested: false,
            in_flight: None,
            spare_buffer: None,
            spare_segment: Spare::None,
            failed: None,
        }
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Queues one record. It is durable once a [`Completion`] covers its zxid.
    pub fn append(&mut self, zxid: i64, payload: &[u8], now_us: u64) -> Result<(), AppendError> {
        if let Some(error) = &self.failed {
            return Err(AppendError::Fatal(error.clone()));
        }
        check_record(self.last_appended_zxid, zxid, payload)?;
        let pending_bytes = self.pending_bytes();
        if pending_bytes > 0
            && pending_bytes + record_frame_bytes(payload.len()) > self.config.pending_bytes_max
        {
            return Err(AppendError::PendingFull {
                pending_bytes,
                max: self.config.pending_bytes_max,
            });
        }
        encode_record(zxid, payload, &mut self.pending_frames);
        self.pending_records
            .push_back((zxid, record_frame_bytes(payload.len())));
        self.pending_since_us.get_or_insert(now_us);
        self.last_appended_zxid = Some(zxid);
        Ok(())
    }

    /// Makes the pending records due now, whatever the batch policy says.
    pub fn request_flush(&mut self) {
        if !self.pending_records.is_empty() {
            self.flush_requested = true;
        }
    }

    /// The next file operation, if one is due and none is in flight.
    pub fn next_action(&mut self, now_us: u64) -> Option<Action> {
        if self.failed.is_some() || self.in_flight.is_some() {
            return None;
        }
        let (first_zxid, first_frame_bytes) = *self.pending_records.front()?;
        let fits = self.cursor.as_ref().is_some_and(|cursor| {
            cursor.end_offset + first_frame_bytes as u64 <= cursor.size_bytes
        });
        // A segment the next record needs is made at once, due or not:
        // from the spare when it is ready and large enough, else from
        // scratch (a spare still being prepared serves the roll after).
        if !fits {
            let needed_bytes = self
                .config
                .new_segment_bytes(first_frame_bytes, self.alignment);
            let (action, size_bytes) = match self.spare_segment {
                Spare::Ready { size_bytes } if size_bytes >= needed_bytes => {
                    self.spare_segment = Spare::None;
                    let action = Action::ActivateSegment {
                        first_zxid,
                        size_bytes,
                    };
                    (action, size_bytes)
                }
                _ => {
                    let action = Action::CreateSegment {
                        first_zxid,
                        size_bytes: needed_bytes,
                    };
                    (action, needed_bytes)
                }
            };
            self.in_flight = Some(InFlight::Segment {
                first_zxid,
                size_bytes,
            });
            return Some(action);
        }
        if !self.is_due(now_us) {
            return None;
        }
        // The fit check above found a cursor.
        let cursor = self.cursor.as_mut()?;
        let room = cursor.size_bytes - cursor.end_offset;
        let mut batch_bytes = 0usize;
        let mut records = 0usize;
        let mut through_zxid = first_zxid;
        for &(zxid, frame_bytes) in &self.pending_records {
            let next = batch_bytes + frame_bytes;
            let over_batch = records > 0 && next > self.config.batch_bytes_max;
            if over_batch || next as u64 > room {
                break;
            }
            batch_bytes = next;
            records += 1;
            through_zxid = zxid;
        }
        let frames = &self.pending_frames[self.pending_start..self.pending_start + batch_bytes];
        let mut bytes = self
            .spare_buffer
            .take()
            .unwrap_or_else(|| AlignedBuf::with_capacity(batch_bytes + 2 * self.alignment));
        bytes.clear();
        let offset = cursor.end_offset - cursor.tail_block.len() as u64;
        bytes.extend_from_slice(&cursor.tail_block);
        bytes.extend_from_slice(frames);
        let new_end = cursor.end_offset + batch_bytes as u64;
        if self.alignment > 1 {
            let tail_start = (align_down(new_end, self.alignment) - offset) as usize;
            cursor.tail_block.clear();
            cursor
                .tail_block
                .extend_from_slice(&bytes.as_slice()[tail_start..]);
            let padding = (self.alignment - bytes.len() % self.alignment) % self.alignment;
            bytes.extend_zeros(padding);
        }
        cursor.end_offset = new_end;
        let segment_first_zxid = cursor.first_zxid;
        self.consume_pending(batch_bytes, records, now_us);
        let sync = self.config.force_sync;
        self.in_flight = Some(InFlight::Write {
            through_zxid,
            records,
            started_us: now_us,
            sync,
        });
        Some(Action::Write {
            segment_first_zxid,
            offset,
            bytes,
            sync,
            through_zxid,
        })
    }

    fn consume_pending(&mut self, batch_bytes: usize, records: usize, now_us: u64) {
        self.pending_records.drain(..records);
        self.pending_start += batch_bytes;
        if self.pending_records.is_empty() {
            self.pending_frames.clear();
            self.pending_start = 0;
            self.pending_since_us = None;
            self.flush_requested = false;
        } else {
            if self.pending_start > self.pending_frames.len() / 2 {
                self.pending_frames.drain(..self.pending_start);
                self.pending_start = 0;
            }
            // What is left has waited long enough to go with the next batch.
            self.pending_since_us = Some(now_us.saturating_sub(self.config.batch_wait_max_us));
        }
    }

    fn is_due(&self, now_us: u64) -> bool {
        let Some(since_us) = self.pending_since_us else {
            return false;
        };
        self.flush_requested
            || self.pending_bytes() >= self.config.batch_bytes_max
            || now_us >= since_us.saturating_add(self.config.batch_wait_max_us)
    }

    /// When the pending records fall due, if they wait on the clock alone
    /// (no action in flight, batch not full): the driver sleeps until then.
    pub fn next_deadline_us(&self) -> Option<u64> {
        if self.failed.is_some() || self.in_flight.is_some() {
            return None;
        }
        let since_us = self.pending_since_us?;
        if self.flush_requested || self.pending_bytes() >= self.config.batch_bytes_max {
            return Some(0);
        }
        Some(since_us.saturating_add(self.config.batch_wait_max_us))
    }

    /// The size of a spare segment to zero-fill now, off the commit path
    /// ([`crate::prepare_segment`]), when the current segment is half full
    /// and there is no spare; then call [`GroupCommit::on_segment_prepared`].
    pub fn next_prepare(&mut self) -> Option<u64> {
        if self.failed.is_some() || self.spare_segment != Spare::None {
            return None;
        }
        let cursor = self.cursor.as_ref()?;
        if cursor.end_offset.saturating_mul(2) < cursor.size_bytes {
            return None;
        }
        let size_bytes = self.config.new_segment_bytes(0, self.alignment);
        self.spare_segment = Spare::Preparing { size_bytes };
        Some(size_bytes)
    }

    /// The result of preparing the spare. An error is fatal: the next
    /// segment could not be made either.
    pub fn on_segment_prepared(
        &mut self,
        result: Result<(), FatalError>,
    ) -> Result<(), FatalError> {
        let Spare::Preparing { size_bytes } = self.spare_segment else {
            panic!("on_segment_prepared without a preparation under way");
        };
        match result {
            Ok(()) => {
                self.spare_segment = Spare::Ready { size_bytes };
                Ok(())
            }
            Err(error) => {
                self.spare_segment = Spare::None;
                self.failed = Some(error.clone());
                Err(error)
            }
        }
    }

    /// The result of [`Action::CreateSegment`] or [`Action::ActivateSegment`].
    ///
    /// # Panics
    /// When no segment action is in flight: a driver bug.
    pub fn on_segment_created(&mut self, result: Result<(), FatalError>) -> Result<(), FatalError> {
        let Some(InFlight::Segment {
            first_zxid,
            size_bytes,
        }) = self.in_flight.take()
        else {
            panic!("on_segment_created without a CreateSegment in flight");
        };
        if let Err(error) = result {
            self.failed = Some(error.clone());
            return Err(error);
        }
        let header = SegmentHeader { first_zxid }.encode();
        let tail_block = if self.alignment > 1 {
            header[..SEGMENT_HEADER_BYTES % self.alignment].to_vec()
        } else {
            Vec::new()
        };
        self.cursor = Some(Cursor {
            first_zxid,
            end_offset: SEGMENT_HEADER_BYTES as u64,
            size_bytes,
            tail_block,
        });
        Ok(())
    }

    /// The result of [`Action::Write`], with its buffer back.
    ///
    /// # Panics
    /// When no Write is in flight: a driver bug.
    pub fn on_write_done(
        &mut self,
        bytes: AlignedBuf,
        result: Result<(), FatalError>,
        now_us: u64,
    ) -> Result<Completion, FatalError> {
        let Some(InFlight::Write {
            through_zxid,
            records,
            started_us,
            sync,
        }) = self.in_flight.take()
        else {
            panic!("on_write_done without a Write in flight");
        };
        self.spare_buffer = Some(bytes);
        if let Err(error) = result {
            self.failed = Some(error.clone());
            return Err(error);
        }
        let elapsed_ms = now_us.saturating_sub(started_us) / 1000;
        let slow_sync =
            (sync && elapsed_ms > self.config.fsync_warning_threshold_ms).then(|| SlowSync {
                elapsed_ms,
                file_size_bytes: self.cursor.as_ref().map_or(0, |cursor| cursor.size_bytes),
            });
        self.last_durable_zxid = Some(through_zxid);
        Ok(Completion {
            durable_through_zxid: through_zxid,
            records,
            slow_sync,
        })
    }

    /// Bytes of frames waiting for a write.
    pub fn pending_bytes(&self) -> usize {
        self.pending_frames.len() - self.pending_start
    }

    pub fn pending_records(&self) -> usize {
        self.pending_records.len()
    }

    /// Nothing pending and nothing in flight.
    pub fn is_idle(&self) -> bool {
        self.pending_records.is_empty() && self.in_flight.is_none()
    }

    pub fn last_appended_zxid(&self) -> Option<i64> {
        self.last_appended_zxid
    }

    pub fn last_durable_zxid(&self) -> Option<i64> {
        self.last_durable_zxid
    }

    /// The error that stopped the log, if one did.
    pub fn fatal(&self) -> Option<&FatalError> {
        self.failed.as_ref()
    }

    /// The segment records go to now: (first zxid, end offset, size).
    pub fn current_segment(&self) -> Option<(i64, u64, u64)> {
        self.cursor
            .as_ref()
            .map(|cursor| (cursor.first_zxid, cursor.end_offset, cursor.size_bytes))
    }
}
