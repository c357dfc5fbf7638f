//! What a protocol plugs into the engine: a factory that builds one `Service` per core.

use crate::conn_id::{CloseReason, ConnId};
use crate::io::Io;
use crate::mailbox::MailSender;
use std::net::SocketAddr;
use std::sync::Arc;

/// Builds each core's service, on that core's thread.
pub trait ServiceFactory: Send + Sync + 'static {
    type Service: Service;
    fn build(&self, core: &CoreContext<<Self::Service as Service>::Mail>) -> Self::Service;
}

/// One core's protocol logic. Every callback runs on the core's thread, one at a time;
/// nothing a callback does through `Io` reaches the kernel before the turn ends.
pub trait Service: 'static {
    /// What other cores (and other threads, via `Engine::mailbox`) send this core.
    type Mail: Send + 'static;
    /// A connection was accepted. Returning false closes it at once, without `on_closed`
    /// (bytes queued during the call are dropped).
    fn on_accept(&mut self, io: &mut Io<'_, Self::Mail>, conn: ConnId, peer: SocketAddr) -> bool;
    /// Bytes arrived, in order. The slice is the engine's buffer, recycled when this returns.
    fn on_recv(&mut self, io: &mut Io<'_, Self::Mail>, conn: ConnId, bytes: &[u8]);
    /// The connection ended; `conn` no longer resolves (sends to it fail).
    fn on_closed(&mut self, io: &mut Io<'_, Self::Mail>, conn: ConnId, reason: CloseReason);
    fn on_mail(&mut self, io: &mut Io<'_, Self::Mail>, mail: Self::Mail);
    /// Every `tick_interval_ms` (late rather than early when the core is busy).
    fn on_tick(&mut self, io: &mut Io<'_, Self::Mail>);
    /// Called once per loop turn after all completions of the turn were dispatched and before
    /// the engine submits sends: lets the service process a whole batch of requests at once.
    fn on_turn_end(&mut self, io: &mut Io<'_, Self::Mail>);
}

/// What a core's service is built with.
pub struct CoreContext<M> {
    pub core_index: usize,
    pub cores: usize,
    pub(crate) mailboxes: Arc<[MailSender<M>]>,
}

impl<M: Send + 'static> CoreContext<M> {
    /// A sender into `core`'s mailbox. Panics when `core >= cores` (a programmer error).
    pub fn mailbox(&self, core: usize) -> MailSender<M> {
        assert!(
            core < self.cores,
            "mailbox({core}): the engine has {} cores",
            self.cores
        );
        self.mailboxes[core].clone()
    }

    /// Senders to every core, by core index.
    pub fn mailboxes(&self) -> Vec<MailSender<M>> {
        self.mailboxes.to_vec()
    }
}
