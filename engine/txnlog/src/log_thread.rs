//! The threaded driver: a dedicated log thread owns a [`LogWriter`], fed
//! by a bounded channel, and reports durable zxids through a callback.
//!
//! Group commit falls out of the loop: while the thread waits in one
//! batch's fdatasync, appends queue in the channel; when it returns, the
//! thread takes all of them and writes them as the next batch (up to
//! batch_bytes_max). A full channel blocks [`LogThread::append`]: that is
//! the backpressure on the request pipeline.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::config::LogConfig;
use crate::error::{AppendError, FatalError};
use crate::group_commit::check_record;
use crate::log_writer::LogWriter;
use crate::recovery::RecoveredLog;
use crate::segment_create::prepare_segment;
use crate::storage::Storage;

/// Appends queued for the log thread before [`LogThread::append`] blocks.
pub const APPEND_QUEUE_DEPTH_MAX: usize = 4096;
/// The log thread's name (it appears in slow-fsync warnings).
pub const LOG_THREAD_NAME: &str = "txnlog-sync";

/// What the log thread reports, in order, on its own thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// Every record up to this zxid is durable: replies may go out.
    Durable { through_zxid: i64 },
    /// An fsync took longer than fsync.warningthresholdms (ZooKeeper's words).
    SlowSync(String),
    /// The log failed and accepts nothing more; the server must stop.
    Fatal(FatalError),
}

enum Request {
    Append {
        zxid: i64,
        payload: Vec<u8>,
    },
    Flush(mpsc::Sender<Result<Option<i64>, FatalError>>),
    /// The helper finished a spare segment (its result waits in a channel).
    SparePrepared,
    /// Write what is pending and stop.
    Shutdown,
}

/// The name of the spare-segment helper thread.
pub const PREALLOC_THREAD_NAME: &str = "txnlog-prealloc";

type Shared = Arc<Mutex<Option<FatalError>>>;

/// A handle to the log thread.
pub struct LogThread {
    sender: Option<SyncSender<Request>>,
    join: Option<JoinHandle<Result<Option<i64>, FatalError>>>,
    fatal: Shared,
    last_zxid: Option<i64>,
}

fn stopped_error() -> FatalError {
    FatalError::new(
        crate::error::IoOp::Write,
        std::path::PathBuf::new(),
        None,
        &std::io::Error::other("the log thread stopped"),
    )
}

impl LogThread {
    /// Opens the recovered log and starts its thread. `on_event` runs on
    /// the log thread: keep it short (hand the zxid to the server's loop).
    pub fn spawn<S, F>(
        storage: S,
        recovered: &RecoveredLog,
        config: LogConfig,
        on_event: F,
    ) -> Result<LogThread, FatalError>
    where
        S: Storage,
        F: FnMut(LogEvent) + Send + 'static,
    {
        let helper_storage = storage.clone();
        let mut writer = LogWriter::open(storage, recovered, config)?;
        writer.set_thread_name(LOG_THREAD_NAME);
        writer.set_prepare_inline(false);
        let (sender, receiver) = mpsc::sync_channel(APPEND_QUEUE_DEPTH_MAX);
        let fatal: Shared = Arc::default();
        let thread_fatal = Arc::clone(&fatal);
        let helper = Helper {
            storage: helper_storage,
            dir: recovered.dir.clone(),
            wake: sender.clone(),
        };
        let join = std::thread::Builder::new()
            .name(LOG_THREAD_NAME.to_string())
            .spawn(move || run(writer, receiver, on_event, thread_fatal, helper))
            .map_err(|error| {
                FatalError::new(
                    crate::error::IoOp::Open,
                    std::path::PathBuf::new(),
                    None,
                    &error,
                )
            })?;
        Ok(LogThread {
            sender: Some(sender),
            join: Some(join),
            fatal,
            last_zxid: recovered.last_zxid,
        })
    }

    fn fatal(&self) -> FatalError {
        self.failed().unwrap_or_else(stopped_error)
    }

    /// The error that stopped the log thread, once it has failed.
    pub fn failed(&self) -> Option<FatalError> {
        self.fatal.lock().ok().and_then(|fatal| fatal.clone())
    }

    /// Queues a record (blocking while APPEND_QUEUE_DEPTH_MAX are queued).
    /// The caller's mistakes are refused here, at once; I/O errors arrive
    /// as [`LogEvent::Fatal`] and refuse every later append.
    pub fn append(&mut self, zxid: i64, payload: Vec<u8>) -> Result<(), AppendError> {
        check_record(self.last_zxid, zxid, &payload)?;
        if let Some(error) = self.failed() {
            return Err(AppendError::Fatal(error));
        }
        let sender = self
            .sender
            .as_ref()
            .ok_or_else(|| AppendError::Fatal(self.fatal()))?;
        sender
            .send(Request::Append { zxid, payload })
            .map_err(|_| AppendError::Fatal(self.fatal()))?;
        self.last_zxid = Some(zxid);
        Ok(())
    }

    /// Waits until everything appended so far is durable; returns the last
    /// durable zxid.
    pub fn flush(&self) -> Result<Option<i64>, FatalError> {
        if let Some(error) = self.failed() {
            return Err(error);
        }
        let (reply, answer) = mpsc::channel();
        let sender = self.sender.as_ref().ok_or_else(|| self.fatal())?;
        sender
            .send(Request::Flush(reply))
            .map_err(|_| self.fatal())?;
        answer.recv().map_err(|_| self.fatal())?
    }

    /// Writes what is pending, stops the thread and returns the last
    /// durable zxid.
    pub fn shutdown(mut self) -> Result<Option<i64>, FatalError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<Option<i64>, FatalError> {
        if let Some(sender) = self.sender.take() {
            // A thread that already stopped cannot hear it; join tells.
            let _ = sender.send(Request::Shutdown);
        }
        match self.join.take() {
            Some(join) => join.join().unwrap_or_else(|_| Err(stopped_error())),
            None => Err(stopped_error()),
        }
    }
}

impl Drop for LogThread {
    fn drop(&mut self) {
        if self.join.is_some() {
            // Errors were reported as LogEvent::Fatal already.
            let _ = self.stop();
        }
    }
}

/// What the spare-segment helper needs.
struct Helper<S: Storage> {
    storage: S,
    dir: std::path::PathBuf,
    /// Wakes the log thread when a spare is ready.
    wake: SyncSender<Request>,
}

type Prepared<S> = Result<<S as Storage>::File, FatalError>;

/// The helper as the log thread holds it: where sizes go, where spares
/// come back, and its thread.
type HelperHandle<S> = (mpsc::Sender<u64>, Receiver<Prepared<S>>, JoinHandle<()>);

/// Starts the helper: it zero-fills one spare per size received, passes it
/// back and wakes the log thread; it ends when the log thread drops its
/// sender.
fn spawn_helper<S: Storage>(helper: Helper<S>) -> std::io::Result<HelperHandle<S>> {
    let (sizes, size_receiver) = mpsc::channel::<u64>();
    let (prepared_sender, prepared) = mpsc::channel::<Prepared<S>>();
    let join = std::thread::Builder::new()
        .name(PREALLOC_THREAD_NAME.to_string())
        .spawn(move || {
            for size_bytes in size_receiver {
                let result = prepare_segment(&helper.storage, &helper.dir, size_bytes);
                if prepared_sender.send(result).is_err()
                    || helper.wake.send(Request::SparePrepared).is_err()
                {
                    return;
                }
            }
        })?;
    Ok((sizes, prepared, join))
}

fn run<S, F>(
    writer: LogWriter<S>,
    receiver: Receiver<Request>,
    on_event: F,
    fatal: Shared,
    helper: Helper<S>,
) -> Result<Option<i64>, FatalError>
where
    S: Storage,
    F: FnMut(LogEvent),
{
    let dir = helper.dir.clone();
    let (sizes, prepared, helper_join) = spawn_helper(helper)
        .map_err(|error| FatalError::new(crate::error::IoOp::Open, dir, None, &error))?;
    let result = run_loop(writer, receiver, on_event, fatal, &sizes, &prepared);
    // Closing the size channel ends the helper; wait so that no spare is
    // being written after the log stopped.
    drop(sizes);
    drop(prepared);
    let _ = helper_join.join();
    result
}

fn run_loop<S, F>(
    mut writer: LogWriter<S>,
    receiver: Receiver<Request>,
    mut on_event: F,
    fatal: Shared,
    sizes: &mpsc::Sender<u64>,
    prepared: &Receiver<Prepared<S>>,
) -> Result<Option<i64>, FatalError>
where
    S: Storage,
    F: FnMut(LogEvent),
{
    let fail = |error: FatalError, on_event: &mut F| {
        if let Ok(mut shared) = fatal.lock() {
            *shared = Some(error.clone());
        }
        on_event(LogEvent::Fatal(error.clone()));
        error
    };
    let mut last_reported: Option<i64> = writer.last_durable_zxid();
    loop {
        let now_us = writer.storage().now_us();
        let wait = writer
            .machine()
            .next_deadline_us()
            .map(|deadline_us| Duration::from_micros(deadline_us.saturating_sub(now_us)));
        let first = match wait {
            None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(wait) => receiver.recv_timeout(wait),
        };
        let mut requests = Vec::new();
        let mut closed = false;
        match first {
            Ok(request) => requests.push(request),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => closed = true,
        }
        while let Ok(request) = receiver.try_recv() {
            requests.push(request);
        }
        for request in requests {
            match request {
                Request::Append { zxid, payload } => {
                    if let Err(error) = writer.append(zxid, &payload) {
                        let error = match error {
                            AppendError::Fatal(error) => error,
                            // The handle checked order and size; anything
                            // else here is a bug: stop rather than lose it.
                            other => FatalError::new(
                                crate::error::IoOp::Write,
                                writer.dir().to_path_buf(),
                                None,
                                &std::io::Error::other(other.to_string()),
                            ),
                        };
                        return Err(fail(error, &mut on_event));
                    }
                }
                Request::SparePrepared => {
                    for result in prepared.try_iter() {
                        if let Err(error) = writer.on_segment_prepared(result) {
                            return Err(fail(error, &mut on_event));
                        }
                    }
                }
                Request::Shutdown => closed = true,
                Request::Flush(reply) => {
                    let result = writer.flush();
                    report(&mut writer, &mut last_reported, &mut on_event);
                    // The fatal event goes out before the asker hears back.
                    let failed = result
                        .as_ref()
                        .err()
                        .map(|error| fail(error.clone(), &mut on_event));
                    // The asker may have gone; the result stands anyway.
                    let _ = reply.send(result);
                    if let Some(error) = failed {
                        return Err(error);
                    }
                }
            }
        }
        if closed {
            let result = writer.flush();
            report(&mut writer, &mut last_reported, &mut on_event);
            return result.map_err(|error| fail(error, &mut on_event));
        }
        if let Err(error) = writer.step() {
            report(&mut writer, &mut last_reported, &mut on_event);
            return Err(fail(error, &mut on_event));
        }
        report(&mut writer, &mut last_reported, &mut on_event);
        if let Some(size_bytes) = writer.take_prepare_request() {
            // The helper lives as long as this loop, so the send succeeds.
            let _ = sizes.send(size_bytes);
        }
    }
}

/// Sends the warnings and the new durable zxid, if it moved.
fn report<S: Storage, F: FnMut(LogEvent)>(
    writer: &mut LogWriter<S>,
    last_reported: &mut Option<i64>,
    on_event: &mut F,
) {
    for warning in writer.take_warnings() {
        on_event(LogEvent::SlowSync(warning));
    }
    let durable = writer.last_durable_zxid();
    if durable != *last_reported {
        if let Some(through_zxid) = durable {
            on_event(LogEvent::Durable { through_zxid });
        }
        *last_reported = durable;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::{recover, FsStorage};

    const Z: i64 = 1 << 32;

    /// With batch_wait_max_us at 300 ms, two records appended 20 ms apart
    /// become durable together, in one batch, and not before the first
    /// one waited its 300 ms (a lower bound: a busy machine only adds).
    #[test]
    fn the_threaded_driver_holds_a_batch_for_batch_wait_max_us() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::buffered();
        let recovered = recover(&storage, dir.path()).unwrap();
        let wait = Duration::from_millis(300);
        let config = LogConfig {
            batch_wait_max_us: wait.as_micros() as u64,
            ..LogConfig::default().with_prealloc_size_kib(64)
        };
        let (events, received) = mpsc::channel();
        let mut log = LogThread::spawn(storage, &recovered, config, move |event| {
            let _ = events.send((Instant::now(), event));
        })
        .unwrap();
        let first_appended = Instant::now();
        log.append(Z + 1, b"first".to_vec()).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        log.append(Z + 2, b"second".to_vec()).unwrap();
        let (at, event) = received.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(
            event,
            LogEvent::Durable {
                through_zxid: Z + 2
            }
        );
        assert!(
            at.duration_since(first_appended) >= wait,
            "durable after {:?}, before the batch wait of {wait:?}",
            at.duration_since(first_appended)
        );
        assert_eq!(log.shutdown().unwrap(), Some(Z + 2));
        assert!(received.try_recv().is_err(), "one batch, one event");
    }
}
