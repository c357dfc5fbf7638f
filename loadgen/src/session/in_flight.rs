//! A session's requests in flight, oldest first, with the oldest kept
//! inline: at the default one op in flight, a reply finds its request in
//! the session's own (already loaded) cache lines instead of a heap block
//! last touched when the request was sent, a cache miss per op at 10,000
//! sessions.

use super::InFlight;
use std::collections::VecDeque;

#[derive(Debug, Default)]
pub struct InFlightQueue {
    /// The oldest request; `None` only when the queue is empty.
    head: Option<InFlight>,
    /// The requests behind `head`, oldest first.
    rest: VecDeque<InFlight>,
}

impl InFlightQueue {
    pub fn push_back(&mut self, request: InFlight) {
        if self.head.is_none() {
            self.head = Some(request);
        } else {
            self.rest.push_back(request);
        }
    }

    pub fn pop_front(&mut self) -> Option<InFlight> {
        let oldest = self.head.take();
        // An empty `rest` answers from its length alone, with no heap read.
        self.head = self.rest.pop_front();
        oldest
    }

    /// The newest request: tests read the xid an op was just sent with.
    #[cfg(test)]
    pub fn back(&self) -> Option<&InFlight> {
        self.rest.back().or(self.head.as_ref())
    }

    pub fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.rest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    pub fn clear(&mut self) {
        self.head = None;
        self.rest.clear();
    }

    /// Empties the queue, yielding the requests oldest first.
    pub fn drain(&mut self, _all: std::ops::RangeFull) -> impl Iterator<Item = InFlight> + '_ {
        self.head.take().into_iter().chain(self.rest.drain(..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Request;
    use crate::workload::OpKind;

    fn request(xid: i32) -> InFlight {
        InFlight {
            xid,
            request: Request::Op(OpKind::Get),
            start_ns: 0,
        }
    }

    #[test]
    fn requests_come_back_in_the_order_they_were_sent() {
        let mut queue = InFlightQueue::default();
        for xid in 1..=3 {
            queue.push_back(request(xid));
        }
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.back().map(|r| r.xid), Some(3));
        assert_eq!(queue.pop_front().map(|r| r.xid), Some(1));
        queue.push_back(request(4));
        let xids: Vec<i32> = std::iter::from_fn(|| queue.pop_front().map(|r| r.xid)).collect();
        assert_eq!(xids, [2, 3, 4]);
        assert!(queue.is_empty());
        assert_eq!(queue.pop_front().map(|r| r.xid), None);
        assert_eq!(queue.back().map(|r| r.xid), None);
    }

    #[test]
    fn drain_yields_everything_oldest_first_and_empties_the_queue() {
        let mut queue = InFlightQueue::default();
        for xid in 1..=3 {
            queue.push_back(request(xid));
        }
        let xids: Vec<i32> = queue.drain(..).map(|r| r.xid).collect();
        assert_eq!(xids, [1, 2, 3]);
        assert_eq!(queue.len(), 0);
        queue.push_back(request(9));
        assert_eq!(queue.back().map(|r| r.xid), Some(9));
        queue.clear();
        assert!(queue.is_empty());
    }
}
