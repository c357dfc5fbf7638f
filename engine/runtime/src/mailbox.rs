//! Bounded cross-core mailboxes and the eventfd that wakes a core.
//!
//! A sender pushes into the core's bounded channel, then wakes the core unless a wake is
//! already pending: the core clears `notified` before it drains its mailbox, so a message sent
//! after a drain always finds `notified` false and writes the eventfd (one write per batch of
//! messages, not one per message).

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;

/// Wakes one core out of its wait: an eventfd its backend always has a read armed on.
pub(crate) struct Waker {
    eventfd: OwnedFd,
    notified: AtomicBool,
}

impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        // Blocking on purpose: some kernels complete an io_uring Read of an O_NONBLOCK file
        // with EAGAIN at once instead of waiting, which would spin the core. Nothing blocks
        // on it: epoll reads it only when it is readable (one reader), and a write blocks
        // only when the counter would pass 2^64 - 2.
        // SAFETY: plain eventfd(2); the result is checked before use.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Waker {
            // SAFETY: a fresh fd we own.
            eventfd: unsafe { OwnedFd::from_raw_fd(fd) },
            notified: AtomicBool::new(false),
        })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.eventfd.as_raw_fd()
    }

    /// Wakes the core unless a wake is pending already.
    pub(crate) fn wake(&self) {
        if !self.notified.swap(true, Ordering::SeqCst) {
            self.wake_now();
        }
    }

    /// Wakes the core whatever `notified` says (shutdown).
    pub(crate) fn wake_now(&self) {
        let one: u64 = 1;
        // SAFETY: an 8-byte write to our eventfd. It can only fail with EAGAIN when the
        // counter is at its maximum, and then the core is awake anyway.
        unsafe {
            libc::write(
                self.eventfd.as_raw_fd(),
                (&one as *const u64).cast(),
                std::mem::size_of::<u64>(),
            )
        };
    }

    /// Called by the core before it drains its mailbox.
    pub(crate) fn clear(&self) {
        self.notified.store(false, Ordering::SeqCst);
    }
}

/// A clonable, `Send` handle that puts mail into one core's bounded mailbox.
pub struct MailSender<M> {
    sender: SyncSender<M>,
    waker: Arc<Waker>,
    core: usize,
}

impl<M> Clone for MailSender<M> {
    fn clone(&self) -> Self {
        MailSender {
            sender: self.sender.clone(),
            waker: Arc::clone(&self.waker),
            core: self.core,
        }
    }
}

impl<M> fmt::Debug for MailSender<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailSender(core {})", self.core)
    }
}

impl<M: Send + 'static> MailSender<M> {
    /// Puts `mail` into the mailbox and wakes its core; `Service::on_mail` receives it there.
    /// Fails, giving the mail back, when the mailbox holds `mailbox_capacity` messages or the
    /// core has stopped.
    pub fn try_send(&self, mail: M) -> Result<(), MailboxFull<M>> {
        match self.sender.try_send(mail) {
            Ok(()) => {
                self.waker.wake();
                Ok(())
            }
            Err(TrySendError::Full(mail)) => Err(MailboxFull {
                mail,
                core_stopped: false,
            }),
            Err(TrySendError::Disconnected(mail)) => Err(MailboxFull {
                mail,
                core_stopped: true,
            }),
        }
    }

    /// The core this sender delivers to.
    pub fn core(&self) -> usize {
        self.core
    }
}

/// Mail that could not be delivered, given back.
pub struct MailboxFull<M> {
    pub mail: M,
    /// True when the core has stopped (engine shut down) rather than its mailbox being full.
    pub core_stopped: bool,
}

impl<M> fmt::Debug for MailboxFull<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxFull")
            .field("core_stopped", &self.core_stopped)
            .finish_non_exhaustive()
    }
}

impl<M> fmt::Display for MailboxFull<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.core_stopped {
            write!(f, "the core's mailbox is closed (engine shut down)")
        } else {
            write!(f, "the core's mailbox is full (mailbox_capacity)")
        }
    }
}

impl<M> std::error::Error for MailboxFull<M> {}

/// The receiving end, owned by the core.
pub(crate) struct Mailbox<M> {
    receiver: Receiver<M>,
    waker: Arc<Waker>,
    capacity: usize,
}

impl<M> Mailbox<M> {
    /// Takes up to one mailbox's worth of mail (later mail waits for the next turn, so a flood
    /// of mail cannot starve the sockets).
    pub(crate) fn drain(&self, mut deliver: impl FnMut(M)) {
        self.waker.clear();
        for _ in 0..self.capacity {
            match self.receiver.try_recv() {
                Ok(mail) => deliver(mail),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return,
            }
        }
        // More may be waiting: make sure the next wait does not sleep on it.
        self.waker.wake();
    }
}

/// A bounded mailbox for `core`, woken through `waker`.
pub(crate) fn mailbox<M>(
    core: usize,
    capacity: usize,
    waker: Arc<Waker>,
) -> (MailSender<M>, Mailbox<M>) {
    let (sender, receiver) = std::sync::mpsc::sync_channel(capacity);
    (
        MailSender {
            sender,
            waker: Arc::clone(&waker),
            core,
        },
        Mailbox {
            receiver,
            waker,
            capacity,
        },
    )
}
