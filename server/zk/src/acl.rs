//! ACL rules of ZooKeeper 3.8: which ACLs a create/setACL may carry
//! (`PrepRequestProcessor.fixupACL`), whether a connection's ids grant a
//! permission (`ZooKeeperServer.checkACL`), and the two providers' id
//! syntax and matching (`digest`: "user:hash"; `ip`: an IPv4 address or
//! CIDR, IPv6 never matching, as in 3.8).

use ringkeeper_jute::{Acl, ErrorCode, Id, Perms};

use crate::auth::{AuthInfo, SCHEME_AUTH, SCHEME_DIGEST, SCHEME_IP, SCHEME_WORLD, WORLD_ANYONE};

/// The ACL a create or setACL stores: duplicates dropped, each `auth` entry
/// replaced by one entry per digest id of the connection. InvalidAcl for an
/// empty list, an `auth` entry on a connection with no digest id, or an id
/// its scheme's provider rejects (an unknown scheme included).
pub fn fixup_acl(requested: &[Acl], auth: &AuthInfo) -> Result<Vec<Acl>, ErrorCode> {
    let mut unique: Vec<&Acl> = Vec::with_capacity(requested.len());
    for acl in requested {
        if !unique.contains(&acl) {
            unique.push(acl);
        }
    }
    if unique.is_empty() {
        return Err(ErrorCode::InvalidAcl);
    }
    let mut fixed = Vec::with_capacity(unique.len());
    for acl in unique {
        let id = &acl.id;
        if id.scheme == SCHEME_WORLD && id.id == WORLD_ANYONE {
            fixed.push(acl.clone());
        } else if id.scheme == SCHEME_AUTH {
            // Only ids of providers that authenticate (digest; not ip)
            // stand in for "auth".
            let mut granted = false;
            for auth_id in auth.ids() {
                if auth_id.scheme == SCHEME_DIGEST {
                    granted = true;
                    fixed.push(Acl {
                        perms: acl.perms,
                        id: auth_id.clone(),
                    });
                }
            }
            if !granted {
                return Err(ErrorCode::InvalidAcl);
            }
        } else if is_valid_id(&id.scheme, &id.id) {
            fixed.push(acl.clone());
        } else {
            return Err(ErrorCode::InvalidAcl);
        }
    }
    Ok(fixed)
}

/// `checkACL`: Ok when the node's ACL is empty, the connection is super, or
/// an entry holding any bit of `perm` matches one of the connection's ids.
pub fn check_acl(node_acl: &[Acl], perm: i32, auth: &AuthInfo) -> Result<(), ErrorCode> {
    if node_acl.is_empty() || auth.is_super() {
        return Ok(());
    }
    for acl in node_acl {
        if acl.perms & perm == 0 {
            continue;
        }
        let id = &acl.id;
        if id.scheme == SCHEME_WORLD && id.id == WORLD_ANYONE {
            return Ok(());
        }
        if id.scheme != SCHEME_DIGEST && id.scheme != SCHEME_IP {
            continue;
        }
        for auth_id in auth.ids() {
            if auth_id.scheme == id.scheme && id_matches(&id.scheme, &auth_id.id, &id.id) {
                return Ok(());
            }
        }
    }
    Err(ErrorCode::NoAuth)
}

/// getACL without ADMIN permission: digest ids are shown as "user:x".
pub fn mask_digest_ids(acl: &[Acl]) -> Vec<Acl> {
    acl.iter()
        .map(|entry| {
            if entry.id.scheme != SCHEME_DIGEST {
                return entry.clone();
            }
            let user = entry.id.id.split(':').next().unwrap_or("");
            let masked = if entry.id.id.contains(':') {
                format!("{user}:x")
            } else {
                entry.id.id.clone()
            };
            Acl {
                perms: entry.perms,
                id: Id {
                    scheme: entry.id.scheme.clone(),
                    id: masked,
                },
            }
        })
        .collect()
}

/// The provider's `isValid`: digest ids are "user:hash" (Java's
/// `split(":")`, which drops trailing empty parts, must give two parts); ip
/// ids are an IPv4 address with an optional "/bits" (0..=32).
fn is_valid_id(scheme: &str, id: &str) -> bool {
    match scheme {
        SCHEME_DIGEST => java_split_len(id, ':') == 2,
        SCHEME_IP => parse_ip_acl(id).is_some(),
        _ => false,
    }
}

fn id_matches(scheme: &str, auth_id: &str, acl_id: &str) -> bool {
    match scheme {
        SCHEME_DIGEST => auth_id == acl_id,
        SCHEME_IP => ip_matches(auth_id, acl_id),
        _ => false,
    }
}

/// How many parts Java's `String.split(regex)` returns for a one-char
/// separator: trailing empty parts are removed (and "" splits into [""]).
fn java_split_len(text: &str, separator: char) -> usize {
    if text.is_empty() {
        return 1;
    }
    let parts: Vec<&str> = text.split(separator).collect();
    let kept = parts
        .iter()
        .rposition(|part| !part.is_empty())
        .map_or(0, |last| last + 1);
    kept
}

/// An ip ACL expression: address bytes and prefix bits.
fn parse_ip_acl(expression: &str) -> Option<([u8; 4], u32)> {
    let (address, bits) = match expression.split_once('/') {
        Some((address, bits)) => {
            let bits = java_parse_int(bits)?;
            if !(0..=32).contains(&bits) {
                return None;
            }
            (address, bits as u32)
        }
        None => (expression, 32),
    };
    Some((parse_ipv4(address)?, bits))
}

/// `IPAuthenticationProvider.v4addr2Bytes`: exactly four dot-separated
/// parts, each a Java int in 0..=255 ("+1" and "-0" included).
fn parse_ipv4(address: &str) -> Option<[u8; 4]> {
    let mut bytes = [0u8; 4];
    let mut parts = address.split('.');
    for byte in bytes.iter_mut() {
        let value = java_parse_int(parts.next()?)?;
        *byte = u8::try_from(value).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(bytes)
}

/// `Integer.parseInt` for ASCII digits: an optional sign, then digits.
fn java_parse_int(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i32>().ok()
}

fn masked(address: [u8; 4], bits: u32) -> u32 {
    let value = u32::from_be_bytes(address);
    match bits {
        0 => 0,
        _ => value & (u32::MAX << (32 - bits)),
    }
}

/// Whether the peer `auth_id` (as `ip` spells it) lies in `acl_id`'s
/// network. An IPv6 peer never matches (3.8 parses IPv4 only).
fn ip_matches(auth_id: &str, acl_id: &str) -> bool {
    let Some((network, bits)) = parse_ip_acl(acl_id) else {
        return false;
    };
    let Some(peer) = parse_ipv4(auth_id) else {
        return false;
    };
    masked(network, bits) == masked(peer, bits)
}

/// World-readable everything: `ZooDefs.Ids.OPEN_ACL_UNSAFE`.
pub fn open_acl_unsafe() -> Vec<Acl> {
    vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: SCHEME_WORLD.to_string(),
            id: WORLD_ANYONE.to_string(),
        },
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
        Acl {
            perms,
            id: Id {
                scheme: scheme.to_string(),
                id: id.to_string(),
            },
        }
    }

    fn from(a: u8, b: u8, c: u8, d: u8) -> AuthInfo {
        AuthInfo::for_peer(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
    }

    /// Each case verified against Apache ZooKeeper 3.8 (create answered
    /// INVALIDACL): empty list, auth without a digest id, digest "x",
    /// world:x, ip 10.0.0.0/33; ip 10.0.0.0/8 with perms 0 was accepted.
    #[test]
    fn invalid_acls_are_refused_as_zookeeper_refuses_them() {
        let auth = from(127, 0, 0, 1);
        let refused = [
            vec![],
            vec![acl(31, "auth", "")],
            vec![acl(31, "digest", "x")],
            vec![acl(31, "digest", "u:")],
            vec![acl(31, "digest", "a:b:c")],
            vec![acl(31, "world", "x")],
            vec![acl(31, "ip", "10.0.0.0/33")],
            vec![acl(31, "ip", "10.0.0")],
            vec![acl(31, "ip", "1.2.3.256")],
            vec![acl(31, "super", "")],
            vec![acl(31, "sasl", "x")],
        ];
        for list in refused {
            assert_eq!(
                fixup_acl(&list, &auth),
                Err(ErrorCode::InvalidAcl),
                "{list:?}"
            );
        }
        let accepted = [
            vec![acl(0, "ip", "10.0.0.0/8")],
            vec![acl(31, "ip", "+10.-0.0.0/+8")],
            vec![acl(31, "digest", "u:hash")],
            vec![acl(31, "digest", ":hash")],
        ];
        for list in accepted {
            assert_eq!(fixup_acl(&list, &auth), Ok(list.clone()), "{list:?}");
        }
    }

    #[test]
    fn auth_entries_become_the_connections_digest_ids_and_duplicates_go() {
        let mut auth = from(127, 0, 0, 1);
        auth.authenticate("digest", b"u:p", None).unwrap();
        let requested = [
            acl(5, "auth", ""),
            acl(5, "auth", ""),
            acl(1, "world", "anyone"),
        ];
        let fixed = fixup_acl(&requested, &auth).unwrap();
        assert_eq!(fixed.len(), 2);
        assert_eq!(fixed[0].id.scheme, "digest");
        assert_eq!(fixed[0].id.id, crate::digest::generate_digest("u:p"));
        assert_eq!(fixed[0].perms, 5);
        assert_eq!(fixed[1], acl(1, "world", "anyone"));
    }

    #[test]
    fn check_acl_grants_by_world_digest_ip_cidr_and_super() {
        let peer = from(10, 1, 2, 3);
        assert_eq!(check_acl(&[], Perms::ALL, &peer), Ok(()));
        assert_eq!(check_acl(&open_acl_unsafe(), Perms::WRITE, &peer), Ok(()));
        let read_only = [acl(Perms::READ, "world", "anyone")];
        assert_eq!(
            check_acl(&read_only, Perms::WRITE, &peer),
            Err(ErrorCode::NoAuth)
        );
        // getACL asks for READ|ADMIN: either bit suffices.
        assert_eq!(
            check_acl(&read_only, Perms::READ | Perms::ADMIN, &peer),
            Ok(())
        );

        let cidr = [acl(Perms::ALL, "ip", "10.0.0.0/8")];
        assert_eq!(check_acl(&cidr, Perms::READ, &peer), Ok(()));
        assert_eq!(
            check_acl(&cidr, Perms::READ, &from(11, 1, 2, 3)),
            Err(ErrorCode::NoAuth)
        );
        let odd_prefix = [acl(Perms::ALL, "ip", "10.1.2.0/23")];
        assert_eq!(
            check_acl(&odd_prefix, Perms::READ, &from(10, 1, 3, 200)),
            Ok(())
        );
        assert_eq!(
            check_acl(&odd_prefix, Perms::READ, &from(10, 1, 4, 1)),
            Err(ErrorCode::NoAuth)
        );
        let everyone = [acl(Perms::ALL, "ip", "0.0.0.0/0")];
        assert_eq!(
            check_acl(&everyone, Perms::READ, &from(192, 168, 1, 1)),
            Ok(())
        );
        let ipv6_peer = AuthInfo::for_peer("::1".parse().unwrap());
        assert_eq!(
            check_acl(&everyone, Perms::READ, &ipv6_peer),
            Err(ErrorCode::NoAuth)
        );

        let owner = crate::digest::generate_digest("u:p");
        let digest_only = [acl(Perms::ALL, "digest", &owner)];
        let mut client = from(127, 0, 0, 1);
        assert_eq!(
            check_acl(&digest_only, Perms::READ, &client),
            Err(ErrorCode::NoAuth)
        );
        client.authenticate("digest", b"u:p", None).unwrap();
        assert_eq!(check_acl(&digest_only, Perms::READ, &client), Ok(()));

        let mut root = from(127, 0, 0, 1);
        root.authenticate(
            "digest",
            b"super:secret",
            Some("super:lK75jTNcA+U9vtVEw5vB51mj/w4="),
        )
        .unwrap();
        let nobody = [acl(Perms::ALL, "digest", "nobody:x")];
        assert_eq!(check_acl(&nobody, Perms::ADMIN, &root), Ok(()));
    }

    #[test]
    fn get_acl_without_admin_masks_digest_hashes() {
        let shown = mask_digest_ids(&[acl(31, "digest", "u:abc=="), acl(1, "ip", "1.2.3.4")]);
        assert_eq!(shown[0].id.id, "u:x");
        assert_eq!(shown[1].id.id, "1.2.3.4");
    }
}
