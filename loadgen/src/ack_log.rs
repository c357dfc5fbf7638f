//! `--ack-log FILE`: every write the server acknowledged, one line each,
//! so a crash test can check afterwards that no acknowledged write was
//! lost and that no sequential name was handed out twice.
//!
//! The file (UTF-8 text, one record per line, fields split by a tab; a
//! ZooKeeper path cannot hold a tab, nor any other control character):
//!
//! ```text
//! file    = header line*
//! header  = "# loadgen ack log v1: op path zxid version data" LF
//! line    = op TAB path TAB zxid TAB version TAB data LF
//! op      = "create" | "ephemeral" | "set" | "delete" | "multi"
//! path    = create, ephemeral: the path the server returned (the
//!           sequential name); set, delete: the request's path; multi:
//!           the path of its setData ("-" when it has none)
//! zxid    = the reply header's zxid, decimal
//! version = set, multi: the new Stat's version, decimal; else "-"
//! data    = create, ephemeral, set, multi: len ":" fnv1a64 (16 lowercase
//!           hex digits) of the data written; delete: "-"
//! ```
//!
//! A write is logged when its reply arrives with err 0 (the cleanup
//! deletes after the measured phase included): an op whose connection
//! dropped before its reply is not in the log, whether or not the server
//! applied it. Each worker keeps its lines in its own buffer and appends
//! them with one write(2) on an O_APPEND file (whole lines, so workers do
//! not interleave within a line) once `ACK_LOG_BUFFER_BYTES_MAX` is
//! reached, once a second (`ACK_LOG_FLUSH_INTERVAL_NS`), when it ends and when it is dropped (a panic
//! unwinding included). A server that dies costs nothing already logged:
//! loadgen itself keeps running and flushes as it ends.

use crate::workload::OpKind;
use ringkeeper_jute::{
    split_frame, CreateMode, CreateRequest, CreateResponse, DeleteRequest, Jute, MultiOp,
    MultiRequest, MultiResponse, MultiResult, OpCode, Reader, RequestHeader, SetDataRequest, Stat,
};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The first line of every ack log.
pub const ACK_LOG_HEADER: &str = "# loadgen ack log v1: op path zxid version data\n";
/// A worker appends its buffered lines once they reach this many bytes.
pub const ACK_LOG_BUFFER_BYTES_MAX: usize = 64 * 1024;
/// A worker appends its buffered lines at least this often.
pub const ACK_LOG_FLUSH_INTERVAL_NS: u64 = 1_000_000_000;
/// A request frame larger than this cannot be one loadgen wrote
/// (jute.maxbuffer's largest sensible value); used only to split frames.
const REQUEST_FRAME_BYTES_MAX: usize = 1 << 30;

/// The file all workers append to, and how many lines they wrote.
#[derive(Debug)]
pub struct AckLogFile {
    path: PathBuf,
    file: File,
    lines: AtomicU64,
}

impl AckLogFile {
    /// Creates (or empties) `path` and writes the header line.
    pub fn create(path: &Path) -> Result<Arc<AckLogFile>, String> {
        let error = |error: io::Error| format!("--ack-log {}: {error}", path.display());
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(error)?;
        file.set_len(0).map_err(error)?;
        (&file)
            .write_all(ACK_LOG_HEADER.as_bytes())
            .map_err(error)?;
        Ok(Arc::new(AckLogFile {
            path: path.to_owned(),
            file,
            lines: AtomicU64::new(0),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Acknowledged writes appended so far, all workers.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Acquire)
    }
}

/// A write request in flight: what its line will say once acknowledged.
#[derive(Debug)]
struct PendingWrite {
    xid: i32,
    op: OpKind,
    /// The request's path (a create's is replaced by the reply's).
    path: String,
    /// `len:fnv1a64` of the data written, or "-".
    data: String,
}

/// One worker's side of the ack log: its sessions' writes in flight and
/// the lines not yet appended.
#[derive(Debug)]
pub struct AckLog {
    file: Arc<AckLogFile>,
    /// Per session, writes in flight in xid order. Entries of a dropped
    /// connection stay until the session's next reply passes them.
    pending: Vec<VecDeque<PendingWrite>>,
    buffer: String,
    buffered_lines: u64,
    /// An append failed: later lines are not kept.
    failure: Option<io::Error>,
    next_flush_ns: u64,
}

impl AckLog {
    pub fn new(file: Arc<AckLogFile>, sessions: usize) -> AckLog {
        AckLog {
            file,
            pending: (0..sessions).map(|_| VecDeque::new()).collect(),
            buffer: String::with_capacity(ACK_LOG_BUFFER_BYTES_MAX + 1024),
            buffered_lines: 0,
            failure: None,
            next_flush_ns: 0,
        }
    }

    /// Session `index` queued `frame` (one length-prefixed request, as
    /// sent). Writes are remembered until their reply; reads are ignored.
    pub fn on_request(&mut self, index: usize, frame: &[u8]) {
        // loadgen encoded this frame itself: one that does not decode is a
        // bug, caught in tests; in a run it is simply not logged.
        let decoded = pending_write(frame);
        debug_assert!(decoded.is_ok(), "loadgen queued an undecodable request");
        if let Ok(Some(write)) = decoded {
            self.pending[index].push_back(write);
        }
    }

    /// The reply to `xid` of session `index` arrived. Entries of older xids
    /// (their connection dropped) are discarded; a write answered with err
    /// 0 becomes a line. `Err` when an acknowledged reply's body does not
    /// decode (a broken server).
    pub fn on_reply(
        &mut self,
        index: usize,
        xid: i32,
        zxid: i64,
        err: i32,
        body: &[u8],
    ) -> Result<(), ()> {
        let pending = &mut self.pending[index];
        // xids grow by one per request (wrapping), so "older" is a
        // positive wrapping distance.
        while pending
            .front()
            .is_some_and(|write| xid.wrapping_sub(write.xid) > 0)
        {
            pending.pop_front();
        }
        let write = match pending.front() {
            Some(write) if write.xid == xid => pending.pop_front(),
            _ => None, // a read's reply
        };
        let Some(write) = write.filter(|_| err == 0) else {
            return Ok(());
        };
        let (path, version) = acknowledged(&write, body)?;
        if self.failure.is_some() {
            return Ok(()); // the log is broken; the worker stops at its next flush
        }
        // Writing into a String cannot fail.
        let _ = writeln!(
            self.buffer,
            "{}\t{path}\t{zxid}\t{version}\t{}",
            write.op.name(),
            write.data
        );
        self.buffered_lines += 1;
        if self.buffer.len() >= ACK_LOG_BUFFER_BYTES_MAX {
            if let Err(error) = self.append() {
                self.failure = Some(error);
            }
        }
        Ok(())
    }

    /// Appends the buffered lines to the file; reports a failure of an
    /// earlier append too (the log is then incomplete: the run must stop).
    pub fn flush(&mut self) -> io::Result<()> {
        match self.failure.take() {
            Some(error) => Err(error),
            None => self.append(),
        }
    }

    /// `flush`, at most once per `ACK_LOG_FLUSH_INTERVAL_NS`.
    pub fn flush_when_due(&mut self, now_ns: u64) -> io::Result<()> {
        if now_ns < self.next_flush_ns {
            return Ok(());
        }
        self.next_flush_ns = now_ns + ACK_LOG_FLUSH_INTERVAL_NS;
        self.flush()
    }

    fn append(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let file = &*self.file;
        (&file.file)
            .write_all(self.buffer.as_bytes())
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("ack log {}: {error}", file.path.display()),
                )
            })?;
        file.lines.fetch_add(self.buffered_lines, Ordering::AcqRel);
        self.buffer.clear();
        self.buffered_lines = 0;
        Ok(())
    }
}

impl Drop for AckLog {
    fn drop(&mut self) {
        // A worker that ends normally flushed already and reported any
        // error; here only an unwinding worker's lines are saved.
        let _ = self.append();
    }
}

/// What a request frame will log once acknowledged (`None` for a read).
fn pending_write(frame: &[u8]) -> Result<Option<PendingWrite>, ()> {
    let (payload, _) = split_frame(frame, REQUEST_FRAME_BYTES_MAX)
        .ok()
        .flatten()
        .ok_or(())?;
    let mut reader = Reader::new(payload);
    let header = RequestHeader::decode(&mut reader).map_err(|_| ())?;
    let body = reader.rest();
    let write = |op, path, data| {
        Ok(Some(PendingWrite {
            xid: header.xid,
            op,
            path,
            data,
        }))
    };
    match OpCode::from_i32(header.op_code) {
        Some(OpCode::Create) => {
            let request = CreateRequest::from_bytes(body).map_err(|_| ())?;
            let ephemeral = CreateMode::from_i32(request.flags).is_some_and(|m| m.is_ephemeral());
            let op = if ephemeral {
                OpKind::Ephemeral
            } else {
                OpKind::Create
            };
            write(op, request.path, data_digest(&request.data))
        }
        Some(OpCode::SetData) => {
            let request = SetDataRequest::from_bytes(body).map_err(|_| ())?;
            write(OpKind::Set, request.path, data_digest(&request.data))
        }
        Some(OpCode::Delete) => {
            let request = DeleteRequest::from_bytes(body).map_err(|_| ())?;
            write(OpKind::Delete, request.path, "-".into())
        }
        Some(OpCode::Multi) => {
            let request = MultiRequest::from_bytes(body).map_err(|_| ())?;
            let set = request.ops.into_iter().find_map(|op| match op {
                MultiOp::SetData(set) => Some(set),
                _ => None,
            });
            match set {
                Some(set) => write(OpKind::Multi, set.path, data_digest(&set.data)),
                None => write(OpKind::Multi, "-".into(), "-".into()),
            }
        }
        _ => Ok(None),
    }
}

/// The logged path and version of an acknowledged write, from its reply.
fn acknowledged(write: &PendingWrite, body: &[u8]) -> Result<(String, String), ()> {
    let no_version = || "-".to_owned();
    match write.op {
        OpKind::Create | OpKind::Ephemeral => {
            let created = CreateResponse::from_bytes(body).map_err(|_| ())?;
            Ok((created.path, no_version()))
        }
        OpKind::Set => {
            let stat = Stat::decode(&mut Reader::new(body)).map_err(|_| ())?;
            Ok((write.path.clone(), stat.version.to_string()))
        }
        OpKind::Multi => {
            let response = MultiResponse::from_bytes(body).map_err(|_| ())?;
            let version = response
                .results
                .iter()
                .find_map(|result| match result {
                    MultiResult::SetData { stat } => Some(stat.version.to_string()),
                    _ => None,
                })
                .unwrap_or_else(no_version);
            Ok((write.path.clone(), version))
        }
        OpKind::Delete => Ok((write.path.clone(), no_version())),
        OpKind::Get | OpKind::Exists | OpKind::Children => Err(()),
    }
}

/// `len:fnv1a64` of `data`: enough to tell which value a write carried.
fn data_digest(data: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in data {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut text = String::with_capacity(24);
    let _ = write!(text, "{}:{hash:016x}", data.len());
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::target;
    use crate::session::Session;

    /// A fresh ack log file under the temp dir, removed on drop.
    struct TempLog {
        path: PathBuf,
        file: Arc<AckLogFile>,
    }

    impl TempLog {
        fn new(label: &str) -> TempLog {
            let path = std::env::temp_dir().join(format!(
                "loadgen-ack-log-{label}-{}.log",
                std::process::id()
            ));
            let file = AckLogFile::create(&path).unwrap();
            TempLog { path, file }
        }

        fn text(&self) -> String {
            std::fs::read_to_string(&self.path).unwrap()
        }

        /// The lines after the header.
        fn lines(&self) -> Vec<String> {
            let text = self.text();
            let mut lines = text.lines().map(str::to_owned);
            assert_eq!(lines.next().as_deref(), Some(ACK_LOG_HEADER.trim_end()));
            lines.collect()
        }
    }

    impl Drop for TempLog {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// Queues `kind` on `session` and hands its frame to `log` as the
    /// worker does; returns the request's xid.
    fn issue(log: &mut AckLog, session: &mut Session, kind: OpKind) -> i32 {
        let before = session.queued.len();
        session.queue_op(kind, &target(), 0);
        log.on_request(0, &session.queued[before..]);
        session.in_flight.back().unwrap().xid
    }

    fn stat_with_version(version: i32) -> Stat {
        Stat {
            version,
            ..Stat::default()
        }
    }

    const ZXID: i64 = 0x1_0000_0005;

    #[test]
    fn each_acknowledged_write_is_one_line_with_what_the_server_answered() {
        let temp = TempLog::new("kinds");
        let mut log = AckLog::new(temp.file.clone(), 1);
        let mut session = Session::new(0, 0);

        let create = issue(&mut log, &mut session, OpKind::Create);
        let created = CreateResponse {
            path: "/loadgen/s/n-0000000007".into(),
        };
        log.on_reply(0, create, ZXID, 0, &created.to_bytes())
            .unwrap();
        let ephemeral = issue(&mut log, &mut session, OpKind::Ephemeral);
        let created = CreateResponse {
            path: "/loadgen/s/n-0000000008".into(),
        };
        log.on_reply(0, ephemeral, ZXID + 1, 0, &created.to_bytes())
            .unwrap();
        let set = issue(&mut log, &mut session, OpKind::Set);
        log.on_reply(0, set, ZXID + 2, 0, &stat_with_version(3).to_bytes())
            .unwrap();
        let multi = issue(&mut log, &mut session, OpKind::Multi);
        let results = MultiResponse {
            results: vec![
                MultiResult::Check,
                MultiResult::SetData {
                    stat: stat_with_version(9),
                },
            ],
        };
        log.on_reply(0, multi, ZXID + 3, 0, &results.to_bytes())
            .unwrap();
        // A cleanup delete after the measured phase is logged too.
        let before = session.queued.len();
        session.queue_cleanup_delete("/loadgen/s/n-0000000007", 0);
        log.on_request(0, &session.queued[before..]);
        let delete = session.in_flight.back().unwrap().xid;
        log.on_reply(0, delete, ZXID + 4, 0, &[]).unwrap();

        assert!(temp.lines().is_empty(), "nothing is written before a flush");
        log.flush().unwrap();
        let data = data_digest(b"vvvv");
        assert_eq!(
            temp.lines(),
            vec![
                format!("create\t/loadgen/s/n-0000000007\t{ZXID}\t-\t{data}"),
                format!(
                    "ephemeral\t/loadgen/s/n-0000000008\t{}\t-\t{data}",
                    ZXID + 1
                ),
                format!("set\t/loadgen/k7\t{}\t3\t{data}", ZXID + 2),
                format!("multi\t/loadgen/k8\t{}\t9\t{data}", ZXID + 3),
                format!("delete\t/loadgen/s/n-0000000007\t{}\t-\t-", ZXID + 4),
            ]
        );
        assert_eq!(temp.file.lines(), 5);
        assert!(log.pending[0].is_empty());
    }

    #[test]
    fn reads_failed_writes_and_writes_of_a_dropped_connection_are_not_logged() {
        let temp = TempLog::new("skipped");
        let mut log = AckLog::new(temp.file.clone(), 1);
        let mut session = Session::new(0, 0);
        // Sent, then the connection dropped before any reply.
        issue(&mut log, &mut session, OpKind::Set);
        issue(&mut log, &mut session, OpKind::Create);
        session.in_flight.clear();
        // On the next connection: a read, a failed write, an acknowledged one.
        let get = issue(&mut log, &mut session, OpKind::Get);
        let failed = issue(&mut log, &mut session, OpKind::Set);
        let set = issue(&mut log, &mut session, OpKind::Set);
        assert_eq!(log.pending[0].len(), 4, "reads are not remembered");
        let get_reply = [0u8; 8]; // not a write: the body is never read
        log.on_reply(0, get, ZXID, 0, &get_reply).unwrap();
        assert_eq!(log.pending[0].len(), 2, "the dropped writes are gone");
        let bad_version = ringkeeper_jute::ErrorCode::BadVersion.as_i32();
        log.on_reply(0, failed, ZXID, bad_version, &[]).unwrap();
        log.on_reply(0, set, ZXID + 1, 0, &stat_with_version(1).to_bytes())
            .unwrap();
        log.flush().unwrap();
        let lines = temp.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with(&format!("set\t/loadgen/k7\t{}\t1\t", ZXID + 1)));
        assert!(log.pending[0].is_empty());
    }

    #[test]
    fn an_acknowledged_reply_that_does_not_decode_is_an_error() {
        let temp = TempLog::new("malformed");
        let mut log = AckLog::new(temp.file.clone(), 1);
        let mut session = Session::new(0, 0);
        let set = issue(&mut log, &mut session, OpKind::Set);
        assert!(log.on_reply(0, set, ZXID, 0, &[1, 2, 3]).is_err());
        log.flush().unwrap();
        assert!(temp.lines().is_empty());
    }

    #[test]
    fn workers_append_whole_lines_when_full_and_when_dropped() {
        let temp = TempLog::new("flush");
        let mut first = AckLog::new(temp.file.clone(), 1);
        let mut second = AckLog::new(temp.file.clone(), 1);
        let (mut one, mut two) = (Session::new(0, 0), Session::new(0, 0));
        let reply = stat_with_version(1).to_bytes();
        let acknowledge = |log: &mut AckLog, session: &mut Session| {
            let xid = issue(log, session, OpKind::Set);
            log.on_reply(0, xid, ZXID, 0, &reply).unwrap();
        };
        // The second worker holds a few lines; the first fills its buffer.
        for _ in 0..3 {
            acknowledge(&mut second, &mut two);
        }
        let mut written = 3u64;
        while temp.file.lines() == 0 {
            acknowledge(&mut first, &mut one);
            written += 1;
            assert!(written < 100_000, "a full buffer was never appended");
        }
        assert_eq!(
            temp.file.lines(),
            written - 3,
            "only the full buffer went out"
        );
        acknowledge(&mut first, &mut one);
        written += 1;
        // A worker that ends without its final flush (a panic) loses nothing.
        drop(first);
        assert_eq!(temp.file.lines(), written - 3);
        second.flush_when_due(0).unwrap();
        acknowledge(&mut second, &mut two);
        written += 1;
        second.flush_when_due(1).unwrap(); // not due again: the line waits
        assert_eq!(temp.file.lines(), written - 1);
        drop(second);
        let lines = temp.lines();
        assert_eq!(lines.len() as u64, written);
        assert_eq!(temp.file.lines(), written);
        assert!(lines
            .iter()
            .all(|l| l.starts_with("set\t/loadgen/k7\t") && l.split('\t').count() == 5));
    }

    #[test]
    fn the_data_digest_is_the_length_and_fnv1a64() {
        // The FNV-1a 64 test vectors of "" and "a".
        assert_eq!(data_digest(b""), "0:cbf29ce484222325");
        assert_eq!(data_digest(b"a"), "1:af63dc4c8601ec8c");
    }

    #[test]
    fn creating_the_log_empties_an_old_one_and_names_a_bad_path() {
        let temp = TempLog::new("recreate");
        std::fs::write(&temp.path, "old\n").unwrap();
        let file = AckLogFile::create(&temp.path).unwrap();
        assert_eq!(
            std::fs::read_to_string(file.path()).unwrap(),
            ACK_LOG_HEADER
        );
        let error = AckLogFile::create(Path::new("/nonexistent-dir/ack.log")).unwrap_err();
        assert!(
            error.contains("--ack-log /nonexistent-dir/ack.log"),
            "{error}"
        );
    }
}
