//! ACLs and auth from the wire: NoAuth before auth, digest ids, the ip
//! scheme with CIDR, the super user, InvalidACL and getACL masking.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use ringkeeper_jute::{
    AuthPacket, CreateRequest, ErrorCode, GetAclRequest, GetAclResponse, GetDataRequest, OpCode,
    Perms, SetDataRequest, WhoAmIResponse, Xid,
};
use ringkeeper_zk::generate_digest;

fn add_auth(h: &mut Harness, c: &Client, user_password: &str) {
    let packet = AuthPacket {
        auth_type: 0,
        scheme: "digest".into(),
        auth: user_password.as_bytes().to_vec(),
    };
    assert_eq!(h.call(c, Xid::AUTH, OpCode::Auth, &packet).err(), 0);
}

fn get(h: &mut Harness, c: &Client, path: &str) -> i32 {
    h.call(
        c,
        50,
        OpCode::GetData,
        &GetDataRequest {
            path: path.into(),
            watch: false,
        },
    )
    .err()
}

fn create_with(h: &mut Harness, c: &Client, path: &str, acl: Vec<ringkeeper_jute::Acl>) -> i32 {
    let request = CreateRequest {
        path: path.into(),
        data: Vec::new().into(),
        acl,
        flags: 0,
    };
    h.call(c, 51, OpCode::Create, &request).err()
}

/// A node created with the "auth" scheme belongs to the creator's digest
/// id: other sessions get NoAuth until they add the same credentials.
#[test]
fn digest_acls_deny_until_the_same_credentials_are_added() {
    let mut h = Harness::default();
    let owner = h.connect();
    let other = h.connect();
    assert_eq!(
        create_with(&mut h, &owner, "/x", vec![acl(Perms::ALL, "auth", "")]),
        ErrorCode::InvalidAcl.as_i32()
    );
    add_auth(&mut h, &owner, "alice:secret");
    assert_eq!(
        create_with(
            &mut h,
            &owner,
            "/private",
            vec![acl(Perms::ALL, "auth", "")]
        ),
        0
    );
    assert_eq!(get(&mut h, &owner, "/private"), 0);
    assert_eq!(get(&mut h, &other, "/private"), ErrorCode::NoAuth.as_i32());
    add_auth(&mut h, &other, "alice:wrong");
    assert_eq!(get(&mut h, &other, "/private"), ErrorCode::NoAuth.as_i32());
    add_auth(&mut h, &other, "alice:secret");
    assert_eq!(get(&mut h, &other, "/private"), 0);

    let who = h.call(
        &other,
        60,
        OpCode::WhoAmI,
        &ringkeeper_jute::ErrorResponse { err: 0 },
    );
    let infos = who.decode::<WhoAmIResponse>().client_info;
    let users: Vec<_> = infos
        .iter()
        .map(|i| (i.auth_scheme.as_str(), i.user.as_str()))
        .collect();
    // ZooKeeper's ids are a hash set and whoAmI lists them in its order
    // (verified against Apache ZooKeeper 3.8: alice, ip, alice).
    assert_eq!(
        users,
        vec![
            ("digest", "alice"),
            ("ip", "127.0.0.1"),
            ("digest", "alice")
        ]
    );
}

/// ZooKeeper 3.8: getACL without ADMIN shows digest ids as "user:x";
/// with ADMIN (or as super) the real hash.
#[test]
fn get_acl_masks_digests_for_readers_without_admin() {
    let mut h = Harness::default();
    let c = h.connect();
    let hash = generate_digest("u:p");
    let acl_list = vec![
        acl(Perms::ALL, "digest", &hash),
        acl(Perms::READ, "world", "anyone"),
    ];
    assert_eq!(create_with(&mut h, &c, "/m", acl_list), 0);
    let seen = h
        .call(&c, 1, OpCode::GetAcl, &GetAclRequest { path: "/m".into() })
        .decode::<GetAclResponse>();
    assert_eq!(seen.acl[0].id.id, "u:x");
    assert_eq!(seen.acl[1].id.id, "anyone");
    let admin = h.connect();
    add_auth(&mut h, &admin, "u:p");
    let seen = h
        .call(
            &admin,
            1,
            OpCode::GetAcl,
            &GetAclRequest { path: "/m".into() },
        )
        .decode::<GetAclResponse>();
    assert_eq!(seen.acl[0].id.id, hash);
}

/// ip ACLs match the peer's address against an IPv4 network.
#[test]
fn ip_acls_match_peers_by_cidr() {
    let mut h = Harness::default();
    let inside = h.connect_from(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)));
    let outside = h.connect_from(IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)));
    assert_eq!(
        create_with(
            &mut h,
            &inside,
            "/net",
            vec![acl(Perms::ALL, "ip", "10.0.0.0/8")]
        ),
        0
    );
    assert_eq!(get(&mut h, &inside, "/net"), 0);
    assert_eq!(get(&mut h, &outside, "/net"), ErrorCode::NoAuth.as_i32());
    assert_eq!(
        create_with(
            &mut h,
            &inside,
            "/bad",
            vec![acl(Perms::ALL, "ip", "10.0.0.0/33")]
        ),
        ErrorCode::InvalidAcl.as_i32()
    );
}

/// superDigest: "super:secret" authenticates as super, whom no ACL stops.
#[test]
fn the_super_user_passes_every_acl() {
    let mut h = Harness::default();
    let c = h.connect();
    assert_eq!(
        create_with(
            &mut h,
            &c,
            "/locked",
            vec![acl(Perms::READ, "digest", "nobody:x")]
        ),
        0
    );
    assert_eq!(get(&mut h, &c, "/locked"), ErrorCode::NoAuth.as_i32());
    add_auth(&mut h, &c, "super:secret");
    assert_eq!(get(&mut h, &c, "/locked"), 0);
    let set = h.call(
        &c,
        2,
        OpCode::SetData,
        &SetDataRequest {
            path: "/locked".into(),
            data: vec![1].into(),
            version: -1,
        },
    );
    assert_eq!(set.err(), 0);
}
