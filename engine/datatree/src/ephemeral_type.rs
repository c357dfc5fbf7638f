//! What a node's `ephemeralOwner` encodes (ZooKeeper's `EphemeralType`).
//!
//! ```text
//! ephemeral_owner (64 bits, signed)
//!   0                         persistent node                 VOID
//!   i64::MIN (0x8000...0000)  container node                  CONTAINER
//!   0xFF RRRR VVVVVVVVVV      TTL node, when extended types   TTL
//!     |   |    `- 40 bits: ttl in ms (1..=TTL_MS_MAX)
//!     |   `- 16 reserved bits: the extended feature (0 = TTL; others invalid)
//!     `- high byte 0xFF: an extended type
//!   any other value           ephemeral node; the owning session id   NORMAL
//! ```
//!
//! Extended types are off by default in ZooKeeper (system property
//! `zookeeper.extendedTypesEnabled`); then a high byte of 0xFF is an ordinary
//! session id (server id 255), which is why extended types limit server ids
//! to [`MAX_EXTENDED_SERVER_ID`]. Clients see 0 as the owner of container
//! and TTL nodes.

use std::fmt;

/// `ephemeralOwner` of a container node.
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;
/// With extended types on, server ids above this would make session ids
/// look like extended types.
pub const MAX_EXTENDED_SERVER_ID: i64 = 0xfe;

const EXTENDED_MASK: u64 = 0xff00_0000_0000_0000;
const RESERVED_BITS_MASK: u64 = 0x00ff_ff00_0000_0000;
const RESERVED_BITS_SHIFT: u32 = 40;
const EXTENDED_FEATURE_TTL: u64 = 0;
const EXTENDED_FEATURE_VALUE_MASK: u64 = !(EXTENDED_MASK | RESERVED_BITS_MASK);

/// The longest TTL a node can have: 2^40 - 1 ms, about 34 years.
pub const TTL_MS_MAX: i64 = EXTENDED_FEATURE_VALUE_MASK as i64;

/// The kind of node an `ephemeralOwner` value denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EphemeralType {
    /// Persistent (owner 0).
    Void,
    /// Ephemeral: the owner is a session id.
    Normal,
    /// Container: deleted by the container manager once it had children
    /// and has none left.
    Container,
    /// Persistent with a TTL: deleted once unmodified for the TTL and
    /// childless.
    Ttl,
}

/// An owner with the extended-type high byte and a feature that does not
/// exist (ZooKeeper throws `IllegalArgumentException`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidEphemeralOwner(pub i64);

impl fmt::Display for InvalidEphemeralOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid ephemeralOwner. [{:x}]", self.0)
    }
}

impl std::error::Error for InvalidEphemeralOwner {}

/// A TTL outside `1..=TTL_MS_MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidTtl(pub i64);

impl fmt::Display for InvalidTtl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ttl must be positive and cannot be larger than: {TTL_MS_MAX} (got {})",
            self.0
        )
    }
}

impl std::error::Error for InvalidTtl {}

impl EphemeralType {
    /// Classify an owner value, as `EphemeralType.get` does with
    /// `zookeeper.extendedTypesEnabled` set to `extended_types_enabled`.
    pub fn get(
        ephemeral_owner: i64,
        extended_types_enabled: bool,
    ) -> Result<EphemeralType, InvalidEphemeralOwner> {
        let bits = ephemeral_owner as u64;
        if extended_types_enabled && bits & EXTENDED_MASK == EXTENDED_MASK {
            let feature = (bits & RESERVED_BITS_MASK) >> RESERVED_BITS_SHIFT;
            return if feature == EXTENDED_FEATURE_TTL {
                Ok(EphemeralType::Ttl)
            } else {
                Err(InvalidEphemeralOwner(ephemeral_owner))
            };
        }
        Ok(match ephemeral_owner {
            CONTAINER_EPHEMERAL_OWNER => EphemeralType::Container,
            0 => EphemeralType::Void,
            _ => EphemeralType::Normal,
        })
    }
}

/// The `ephemeralOwner` of a TTL node living `ttl_ms`.
pub fn ttl_to_ephemeral_owner(ttl_ms: i64) -> Result<i64, InvalidTtl> {
    if ttl_ms <= 0 || ttl_ms > TTL_MS_MAX {
        return Err(InvalidTtl(ttl_ms));
    }
    Ok((EXTENDED_MASK | (EXTENDED_FEATURE_TTL << RESERVED_BITS_SHIFT) | ttl_ms as u64) as i64)
}

/// The TTL in ms a TTL node's owner carries (meaningful only for
/// [`EphemeralType::Ttl`] owners).
pub fn ttl_ms(ephemeral_owner: i64) -> i64 {
    (ephemeral_owner as u64 & EXTENDED_FEATURE_VALUE_MASK) as i64
}

/// What clients see as `ephemeralOwner`: the session for ephemerals, 0 for
/// every other kind (container and TTL markers stay on the server).
pub fn client_ephemeral_owner(ephemeral_owner: i64, extended_types_enabled: bool) -> i64 {
    match EphemeralType::get(ephemeral_owner, extended_types_enabled) {
        Ok(EphemeralType::Normal) => ephemeral_owner,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_classify_as_zookeeper_does() {
        assert_eq!(EphemeralType::get(0, true), Ok(EphemeralType::Void));
        assert_eq!(EphemeralType::get(0x1234, true), Ok(EphemeralType::Normal));
        assert_eq!(
            EphemeralType::get(i64::MIN, false),
            Ok(EphemeralType::Container)
        );
        assert_eq!(
            EphemeralType::get(i64::MIN, true),
            Ok(EphemeralType::Container)
        );
        let ttl_owner = ttl_to_ephemeral_owner(5_000).expect("valid ttl");
        assert_eq!(ttl_owner as u64, 0xff00_0000_0000_1388);
        assert_eq!(EphemeralType::get(ttl_owner, true), Ok(EphemeralType::Ttl));
        assert_eq!(ttl_ms(ttl_owner), 5_000);
    }

    #[test]
    fn high_byte_ff_is_a_session_when_extended_types_are_off() {
        let session_of_server_255 = 0xff00_0171_0000_0001_u64 as i64;
        assert_eq!(
            EphemeralType::get(session_of_server_255, false),
            Ok(EphemeralType::Normal)
        );
        assert_eq!(
            client_ephemeral_owner(session_of_server_255, false),
            session_of_server_255
        );
    }

    #[test]
    fn unknown_extended_feature_is_an_error() {
        let owner = 0xff01_0000_0000_0005_u64 as i64;
        assert_eq!(
            EphemeralType::get(owner, true),
            Err(InvalidEphemeralOwner(owner))
        );
        assert_eq!(
            InvalidEphemeralOwner(owner).to_string(),
            "Invalid ephemeralOwner. [ff01000000000005]"
        );
    }

    #[test]
    fn ttl_bounds_are_one_ms_to_about_34_years() {
        assert_eq!(ttl_to_ephemeral_owner(0), Err(InvalidTtl(0)));
        assert_eq!(ttl_to_ephemeral_owner(-1), Err(InvalidTtl(-1)));
        assert_eq!(TTL_MS_MAX, 0xff_ffff_ffff);
        assert!(ttl_to_ephemeral_owner(TTL_MS_MAX).is_ok());
        assert_eq!(
            ttl_to_ephemeral_owner(TTL_MS_MAX + 1),
            Err(InvalidTtl(TTL_MS_MAX + 1))
        );
    }

    #[test]
    fn clients_see_zero_for_container_and_ttl_owners() {
        assert_eq!(client_ephemeral_owner(CONTAINER_EPHEMERAL_OWNER, true), 0);
        let ttl_owner = ttl_to_ephemeral_owner(10).expect("valid ttl");
        assert_eq!(client_ephemeral_owner(ttl_owner, true), 0);
        assert_eq!(client_ephemeral_owner(42, true), 42);
    }
}
