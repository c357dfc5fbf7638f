//! The clock's work: session expiry (`SessionTrackerImpl.run` then a
//! closeSession txn per expired session, whose connection is closed
//! without a reply) and ZooKeeper's `ContainerManager` (empty containers
//! that once had children, and TTL nodes unmodified for their TTL, are
//! deleted by deleteContainer txns).

use ringkeeper_datatree::ephemeral_type::ttl_ms;
use ringkeeper_datatree::EphemeralType;

use crate::outbox::Outbox;
use crate::pipeline::Origin;
use crate::request::WriteRequest;
use crate::server::ZkServer;

impl ZkServer {
    pub fn tick(&mut self, now_ms: u64, out: &mut Outbox) {
        self.now_ms = now_ms;
        self.expire_sessions(now_ms, out);
        if now_ms >= self.next_container_check_ms {
            self.next_container_check_ms =
                now_ms.saturating_add(self.config.container_check_interval_ms.max(1));
            self.check_containers(now_ms, out);
        }
    }

    /// When the next tick has work (for the shell's timer).
    pub fn next_tick_ms(&self) -> u64 {
        match self.sessions.next_expiration_ms() {
            Some(expiry_ms) => expiry_ms.min(self.next_container_check_ms),
            None => self.next_container_check_ms,
        }
    }

    fn expire_sessions(&mut self, now_ms: u64, out: &mut Outbox) {
        let mut expired = Vec::new();
        self.sessions.expired(now_ms, &mut expired);
        for session_id in expired {
            self.counters.sessions_expired += 1;
            self.close_session(session_id, now_ms, out);
        }
    }

    /// Commits a closeSession txn for `session_id` (expiry, or the server's
    /// own decision) and closes its connection without a reply.
    pub fn close_session(&mut self, session_id: i64, now_ms: u64, out: &mut Outbox) {
        let txn = self.prep_as(None, session_id, 0, Ok(WriteRequest::CloseSession), now_ms);
        // The connection closes once the txn is applied.
        self.submit_txn(txn, Origin::Expiry, now_ms, out);
    }

    /// `ContainerManager.getCandidates`, then one deleteContainer each.
    fn check_containers(&mut self, now_ms: u64, out: &mut Outbox) {
        let extended = self.config.extended_types_enabled;
        let never_used_ms = self.config.container_max_never_used_interval_ms;
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let mut candidates = Vec::new();
        for id in self.tree.containers() {
            let Some(node) = self.tree.node(id) else {
                continue;
            };
            if node.child_count() != 0 {
                continue;
            }
            let stat = node.stat();
            // cversion > 0: it had a child once; a never-used one only after
            // maxNeverUsedIntervalMs (0: never).
            let elapsed_ms = now.saturating_sub(stat.mtime_ms);
            let never_used_expired =
                never_used_ms != 0 && elapsed_ms > i64::try_from(never_used_ms).unwrap_or(i64::MAX);
            if stat.cversion > 0 || never_used_expired {
                if let Some(path) = self.tree.path(id) {
                    candidates.push(path);
                }
            }
        }
        for id in self.tree.ttls() {
            let Some(node) = self.tree.node(id) else {
                continue;
            };
            let owner = node.stat().ephemeral_owner;
            if node.child_count() != 0
                || EphemeralType::get(owner, extended) != Ok(EphemeralType::Ttl)
            {
                continue;
            }
            let ttl = ttl_ms(owner);
            if ttl != 0 && now.saturating_sub(node.stat().mtime_ms) > ttl {
                if let Some(path) = self.tree.path(id) {
                    candidates.push(path);
                }
            }
        }
        candidates.truncate(self.config.container_deletes_per_check_max());
        for path in candidates {
            let request = WriteRequest::DeleteContainer { path };
            let txn = self.prep_as(None, 0, 0, Ok(request), now_ms);
            self.submit_txn(txn, Origin::Container, now_ms, out);
        }
    }
}
