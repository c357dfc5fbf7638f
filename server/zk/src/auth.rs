//! A connection's authenticated identities and the `auth` packet (addAuth),
//! as ZooKeeper's `ServerCnxn.authInfo` and its two built-in providers
//! (`IPAuthenticationProvider`, `DigestAuthenticationProvider`) keep them.
//!
//! Every connection starts with `ip:<peer address>`. A digest auth adds
//! `digest:user:base64(sha1(user:password))`, plus `super:` when that id
//! equals the configured superDigest. ZooKeeper keeps the ids in a hash
//! set: an id added twice is held once, and they iterate in hash order
//! ([`AuthIdSet`]).

use std::net::IpAddr;

use ringkeeper_jute::{ClientInfo, ErrorCode, Id};

use crate::auth_order::AuthIdSet;
use crate::digest::generate_digest;

pub const SCHEME_WORLD: &str = "world";
pub const SCHEME_AUTH: &str = "auth";
pub const SCHEME_DIGEST: &str = "digest";
pub const SCHEME_IP: &str = "ip";
pub const SCHEME_SUPER: &str = "super";
pub const WORLD_ANYONE: &str = "anyone";

/// How many ids one connection may collect by auth packets before further
/// ones are refused with AuthFailed (ZooKeeper has no limit; a client
/// sending endless distinct digests would grow this without one).
pub const AUTH_IDS_PER_CONNECTION_MAX: usize = 64;

/// The identities of one connection, in the order ZooKeeper iterates them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthInfo {
    set: AuthIdSet,
    /// `set` in iteration order, kept in step with it.
    ids: Vec<Id>,
}

impl AuthInfo {
    /// A new connection from `peer`: its only id is `ip:<address>`.
    pub fn for_peer(peer: IpAddr) -> Self {
        let mut auth = AuthInfo::default();
        auth.set.insert(Id {
            scheme: SCHEME_IP.to_string(),
            id: java_host_address(peer),
        });
        auth.ids = auth.set.iter().cloned().collect();
        auth
    }

    /// The ids in ZooKeeper's iteration order.
    pub fn ids(&self) -> &[Id] {
        &self.ids
    }

    fn add(&mut self, id: Id) -> Result<(), ErrorCode> {
        if self.set.contains(&id) {
            return Ok(());
        }
        if self.set.len() >= AUTH_IDS_PER_CONNECTION_MAX {
            return Err(ErrorCode::AuthFailed);
        }
        self.set.insert(id);
        self.ids = self.set.iter().cloned().collect();
        Ok(())
    }

    /// The peer address as the `ip` scheme spells it.
    fn peer_id(&self) -> Option<&str> {
        self.ids
            .iter()
            .find(|id| id.scheme == SCHEME_IP)
            .map(|id| id.id.as_str())
    }

    pub fn is_super(&self) -> bool {
        self.ids.iter().any(|id| id.scheme == SCHEME_SUPER)
    }

    /// An auth packet (`addAuth(scheme, auth)`): Ok adds the ids the scheme
    /// grants; AuthFailed for a scheme no provider serves (the caller then
    /// answers AuthFailed and closes the connection, as ZooKeeper does).
    pub fn authenticate(
        &mut self,
        scheme: &str,
        auth: &[u8],
        super_digest: Option<&str>,
    ) -> Result<(), ErrorCode> {
        match scheme {
            SCHEME_DIGEST => {
                // Java decodes with `new String(bytes)`: invalid UTF-8
                // becomes U+FFFD, which is then hashed as UTF-8.
                let id_password = String::from_utf8_lossy(auth);
                let digest = generate_digest(&id_password);
                if super_digest == Some(digest.as_str()) {
                    self.add(Id {
                        scheme: SCHEME_SUPER.to_string(),
                        id: String::new(),
                    })?;
                }
                self.add(Id {
                    scheme: SCHEME_DIGEST.to_string(),
                    id: digest,
                })
            }
            // The ip provider authenticates the peer address, whatever the
            // packet says; the connection already holds that id.
            SCHEME_IP => match self.peer_id().map(str::to_string) {
                Some(peer) => self.add(Id {
                    scheme: SCHEME_IP.to_string(),
                    id: peer,
                }),
                None => Err(ErrorCode::AuthFailed),
            },
            _ => Err(ErrorCode::AuthFailed),
        }
    }

    /// whoAmI's answer: (scheme, user) per id; the user of a digest id is
    /// the text before ':', of an ip id the address, of others "".
    pub fn client_infos(&self) -> Vec<ClientInfo> {
        self.ids
            .iter()
            .map(|id| ClientInfo {
                auth_scheme: id.scheme.clone(),
                user: match id.scheme.as_str() {
                    SCHEME_DIGEST => id.id.split(':').next().unwrap_or("").to_string(),
                    SCHEME_IP => id.id.clone(),
                    _ => String::new(),
                },
            })
            .collect()
    }
}

/// `InetAddress.getHostAddress()`: dotted quad for IPv4 (also for an
/// IPv4-mapped IPv6 peer, which Java reports as IPv4), eight uncompressed
/// lowercase hex groups for IPv6.
pub fn java_host_address(peer: IpAddr) -> String {
    match peer {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6
                .segments()
                .iter()
                .map(|group| format!("{group:x}"))
                .collect::<Vec<_>>()
                .join(":"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn localhost() -> AuthInfo {
        AuthInfo::for_peer(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// Verified against Apache ZooKeeper 3.8: whoAmI on a fresh connection
    /// answers [("ip", "127.0.0.1")]; after addAuth digest u:p it adds
    /// ("digest", "u").
    #[test]
    fn a_connection_starts_as_its_ip_and_gains_a_digest_id() {
        let mut auth = localhost();
        assert_eq!(auth.client_infos()[0].user, "127.0.0.1");
        auth.authenticate("digest", b"u:p", None).unwrap();
        let infos = auth.client_infos();
        assert_eq!(infos.len(), 2);
        assert!(infos
            .iter()
            .any(|info| (info.auth_scheme.as_str(), info.user.as_str()) == ("digest", "u")));
        assert!(auth.ids().iter().any(|id| id.id == generate_digest("u:p")));
        assert!(!auth.is_super());
    }

    #[test]
    fn the_super_digest_makes_the_connection_super() {
        let mut auth = localhost();
        let super_digest = "super:lK75jTNcA+U9vtVEw5vB51mj/w4=";
        auth.authenticate("digest", b"super:wrong", Some(super_digest))
            .unwrap();
        assert!(!auth.is_super());
        auth.authenticate("digest", b"super:secret", Some(super_digest))
            .unwrap();
        assert!(auth.is_super());
    }

    /// Verified against Apache ZooKeeper 3.8: addAuth with scheme "bogus"
    /// answers AUTHFAILED (then closes); scheme "ip" answers OK and whoAmI
    /// still lists one ip id.
    #[test]
    fn unknown_schemes_fail_and_ip_adds_nothing_new() {
        let mut auth = localhost();
        assert_eq!(
            auth.authenticate("bogus", b"x", None),
            Err(ErrorCode::AuthFailed)
        );
        assert_eq!(
            auth.authenticate("world", b"anyone", None),
            Err(ErrorCode::AuthFailed)
        );
        assert_eq!(auth.authenticate("ip", b"1.2.3.4", None), Ok(()));
        assert_eq!(auth.ids().len(), 1);
        auth.authenticate("digest", b"u:p", None).unwrap();
        auth.authenticate("digest", b"u:p", None).unwrap();
        assert_eq!(auth.ids().len(), 2, "ids are a set");
    }

    #[test]
    fn auth_ids_per_connection_are_limited() {
        let mut auth = localhost();
        for i in 1..AUTH_IDS_PER_CONNECTION_MAX {
            auth.authenticate("digest", format!("u{i}:p").as_bytes(), None)
                .unwrap();
        }
        assert_eq!(
            auth.authenticate("digest", b"one:more", None),
            Err(ErrorCode::AuthFailed)
        );
    }

    #[test]
    fn peer_addresses_are_spelled_as_java_spells_them() {
        assert_eq!(
            java_host_address(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))),
            "10.1.2.3"
        );
        assert_eq!(
            java_host_address(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            "0:0:0:0:0:0:0:1"
        );
        let mapped = Ipv4Addr::new(192, 168, 0, 9).to_ipv6_mapped();
        assert_eq!(java_host_address(IpAddr::V6(mapped)), "192.168.0.9");
    }
}
