//! What a node's `ephemeralOwner` means on ZooKeeper's side: besides the
//! owning session of an ephemeral, it marks container and TTL nodes
//! (`EphemeralType` in ZooKeeper). Clients see 0 for both.

/// ZooKeeper's marker for a container node (`Long.MIN_VALUE`).
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;
/// With extended types enabled, an owner whose top byte is 0xff is an
/// extended type; the next 16 bits say which (0 is TTL).
const EXTENDED_MASK: u64 = 0xff00_0000_0000_0000;
const EXTENDED_FEATURE_MASK: u64 = 0x00ff_ff00_0000_0000;
const EXTENDED_FEATURE_SHIFT: u32 = 40;
const EXTENDED_FEATURE_TTL: u64 = 0;
const EXTENDED_VALUE_MASK: u64 = !(EXTENDED_MASK | EXTENDED_FEATURE_MASK);

/// The kind of node an `ephemeralOwner` value stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZkEphemeralType {
    /// 0: a persistent node.
    Persistent,
    /// An ephemeral node of this session.
    Session(i64),
    Container,
    /// A TTL node, with its TTL in ms.
    Ttl {
        ttl_ms: i64,
    },
    /// An extended-type marker with a feature ZooKeeper 3.5-3.9 does not
    /// define.
    UnknownExtended(i64),
}

impl ZkEphemeralType {
    /// Reads `ephemeral_owner` as ZooKeeper does. `extended_types_enabled`
    /// is zoo.cfg's `extendedTypesEnabled` (TTL nodes need it): without it
    /// an owner with top byte 0xff is an ordinary session id (of server id
    /// 255).
    pub fn of(ephemeral_owner: i64, extended_types_enabled: bool) -> ZkEphemeralType {
        let bits = ephemeral_owner as u64;
        if extended_types_enabled && bits & EXTENDED_MASK == EXTENDED_MASK {
            let feature = (bits & EXTENDED_FEATURE_MASK) >> EXTENDED_FEATURE_SHIFT;
            return if feature == EXTENDED_FEATURE_TTL {
                ZkEphemeralType::Ttl {
                    ttl_ms: (bits & EXTENDED_VALUE_MASK) as i64,
                }
            } else {
                ZkEphemeralType::UnknownExtended(ephemeral_owner)
            };
        }
        match ephemeral_owner {
            0 => ZkEphemeralType::Persistent,
            CONTAINER_EPHEMERAL_OWNER => ZkEphemeralType::Container,
            session_id => ZkEphemeralType::Session(session_id),
        }
    }

    /// The `ephemeralOwner` a client is shown in a Stat: the session of an
    /// ephemeral, else 0.
    pub fn client_ephemeral_owner(self) -> i64 {
        match self {
            ZkEphemeralType::Session(session_id) => session_id,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_read_as_zookeeper_reads_them() {
        assert_eq!(ZkEphemeralType::of(0, true), ZkEphemeralType::Persistent);
        assert_eq!(
            ZkEphemeralType::of(0x0100_0a1b_2c3d_0001, true),
            ZkEphemeralType::Session(0x0100_0a1b_2c3d_0001)
        );
        assert_eq!(
            ZkEphemeralType::of(i64::MIN, true),
            ZkEphemeralType::Container
        );
        let ttl_owner = (0xff00_0000_0000_0000u64 | 60_000) as i64;
        assert_eq!(
            ZkEphemeralType::of(ttl_owner, true),
            ZkEphemeralType::Ttl { ttl_ms: 60_000 }
        );
        assert_eq!(
            ZkEphemeralType::of(ttl_owner, false),
            ZkEphemeralType::Session(ttl_owner)
        );
        assert_eq!(
            ZkEphemeralType::of(ttl_owner, true).client_ephemeral_owner(),
            0
        );
    }
}
