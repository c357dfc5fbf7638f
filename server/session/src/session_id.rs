//! ZooKeeper's session id scheme (`SessionTrackerImpl.initializeNextSessionId`).
//!
//! ```text
//! bit 63         56 55                                16 15            0
//!     | server id  |  low 40 bits of the clock in ms    |  counter      |
//! ```
//!
//! The first id a server hands out is built from its id and its clock at
//! start; later ids count up from it (the counter may carry into the clock
//! bits, as in ZooKeeper). Ids from servers with different ids never meet;
//! ids from one server across restarts differ as long as its clock has
//! moved on by a millisecond and fewer than 65,536 sessions were created
//! per millisecond of uptime.

/// ZooKeeper's `EphemeralType.CONTAINER_EPHEMERAL_OWNER`: an ephemeral
/// owner with this value marks a container node, so no session has it.
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;

/// The first session id of server `server_id` started at `now_ms`.
pub fn initial_session_id(server_id: u64, now_ms: u64) -> i64 {
    // `<< 24` drops the clock's top 24 bits, `>> 8` (logical, on u64: Java's
    // `>>>`) leaves the top byte to the server id and 16 zero bits below.
    let clock_bits = (now_ms << 24) >> 8;
    let id = (clock_bits | (server_id << 56)) as i64;
    if id == CONTAINER_EPHEMERAL_OWNER {
        id + 1
    } else {
        id
    }
}

/// Whether `session_id` may name a session: neither 0 (a client asking for
/// a new session) nor the container marker.
pub fn is_valid_session_id(session_id: i64) -> bool {
    session_id != 0 && session_id != CONTAINER_EPHEMERAL_OWNER
}
