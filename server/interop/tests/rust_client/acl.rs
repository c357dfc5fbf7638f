//! ACL scenarios: world, ip, auth and digest schemes, digest authentication, whoAmI.

use zookeeper_client::{Acl, Acls, AuthId, AuthUser, Client, CreateMode, Error, Permission};

use crate::{expect_eq, expect_error, within, At, Scenario};

/// `alice:secret` hashed the way ZooKeeper's DigestAuthenticationProvider does:
/// base64(sha1("alice:secret")), as kazoo's `make_digest_acl_credential` and Java's
/// `DigestAuthenticationProvider.generateDigest` compute it.
pub const ALICE_DIGEST_ID: &str = "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=";
/// An address no test client connects from (TEST-NET-1, RFC 5737); only used inside an ACL.
const FOREIGN_IP: &str = "192.0.2.1";

async fn create_with(client: &Client, path: &str, acl: &[Acl]) -> Result<(), Error> {
    let options = CreateMode::Persistent.with_acls(Acls::new(acl));
    client.create(path, b"x", &options).await.map(|_| ())
}

async fn whoami(client: &Client, who: &str) -> Result<Vec<(String, String)>, String> {
    let users: Vec<AuthUser> = within("whoAmI", client.list_auth_users())
        .await?
        .at(&format!("whoAmI of {who}"))?;
    let mut pairs: Vec<(String, String)> = users
        .iter()
        .map(|user| (user.scheme().to_string(), user.user().to_string()))
        .collect();
    pairs.sort();
    Ok(pairs)
}

pub async fn acls_and_auth(scenario: Scenario) -> Result<(), String> {
    let anonymous = scenario.connect().await?;
    let alice = scenario.connect().await?;
    let mallory = scenario.connect().await?;
    within("addAuth alice", alice.auth("digest", b"alice:secret"))
        .await?
        .at("addAuth digest alice:secret")?;
    // A wrong password is not refused: it authenticates as a different digest id.
    within("addAuth mallory", mallory.auth("digest", b"alice:guess"))
        .await?
        .at("addAuth digest alice:guess")?;

    let ip = || ("ip".to_string(), "127.0.0.1".to_string());
    expect_eq(
        "whoAmI of an anonymous session",
        whoami(&anonymous, "anonymous").await?,
        vec![ip()],
    )?;
    let expected = vec![("digest".to_string(), "alice".to_string()), ip()];
    expect_eq(
        "whoAmI after digest auth",
        whoami(&alice, "alice").await?,
        expected,
    )?;

    // digest: only alice's session may read.
    let secret = scenario.path("digest");
    let digest_acl = [Acl::new(
        Permission::ALL,
        AuthId::new("digest", ALICE_DIGEST_ID),
    )];
    within("create digest", create_with(&alice, &secret, &digest_acl))
        .await?
        .at("create with a digest ACL")?;
    let (acl, stat) = within("getACL", alice.get_acl(&secret))
        .await?
        .at("getACL digest node")?;
    expect_eq("getACL of the digest node", acl, digest_acl.to_vec())?;
    expect_eq("aversion of a new node", stat.aversion, 0)?;
    let (data, _) = within("alice reads", alice.get_data(&secret))
        .await?
        .at("alice getData")?;
    expect_eq("alice reads her node", data, b"x".to_vec())?;
    expect_error(
        "anonymous getData on a digest node",
        within("get", anonymous.get_data(&secret)).await?,
        Error::NoAuth,
    )?;
    expect_error(
        "wrong password getData",
        within("get", mallory.get_data(&secret)).await?,
        Error::NoAuth,
    )?;
    let denied_set = within("set", anonymous.set_data(&secret, b"y", None)).await?;
    expect_error(
        "anonymous setData on a digest node",
        denied_set,
        Error::NoAuth,
    )?;
    // getACL needs READ or ADMIN; without ADMIN the digest hashes are masked as `user:x`.
    let denied = within("getACL anonymous", anonymous.get_acl(&secret)).await?;
    expect_error("getACL without READ or ADMIN", denied, Error::NoAuth)?;
    let masked = scenario.path("masked");
    let masked_acl = [
        Acl::new(Permission::READ, AuthId::anyone()),
        digest_acl[0].clone(),
    ];
    within("create masked", create_with(&alice, &masked, &masked_acl))
        .await?
        .at("create world+digest node")?;
    let (acl, _) = within("getACL masked", anonymous.get_acl(&masked))
        .await?
        .at("getACL with READ only")?;
    let shown = [
        masked_acl[0].clone(),
        Acl::new(Permission::ALL, AuthId::new("digest", "alice:x")),
    ];
    expect_eq("getACL with READ but not ADMIN", acl, shown.to_vec())?;
    let (acl, _) = within("getACL alice", alice.get_acl(&masked))
        .await?
        .at("getACL with ADMIN")?;
    expect_eq("getACL with ADMIN", acl, masked_acl.to_vec())?;

    // auth: the creator's authenticated ids replace the placeholder.
    let creator = scenario.path("auth");
    within(
        "create auth",
        create_with(
            &alice,
            &creator,
            &[Acl::new(Permission::ALL, AuthId::authed())],
        ),
    )
    .await?
    .at("create with auth:'' as alice")?;
    let (acl, _) = within("getACL auth", alice.get_acl(&creator))
        .await?
        .at("getACL auth node")?;
    expect_eq(
        "auth scheme expands to the digest id",
        acl,
        digest_acl.to_vec(),
    )?;
    let refused = within(
        "anonymous auth create",
        create_with(
            &anonymous,
            &scenario.path("auth-anon"),
            &[Acl::new(Permission::ALL, AuthId::authed())],
        ),
    )
    .await?;
    expect_error(
        "auth scheme without an authenticated id",
        refused,
        Error::InvalidAcl,
    )?;

    // ip: 127.0.0.1 may read (only), another address may not.
    let local = scenario.path("ip-local");
    let local_acl = [Acl::new(Permission::READ, AuthId::new("ip", "127.0.0.1"))];
    within("create ip-local", create_with(&alice, &local, &local_acl))
        .await?
        .at("create ip ACL")?;
    within("anonymous reads", anonymous.get_data(&local))
        .await?
        .at("getData allowed by ip:127.0.0.1")?;
    let write = within("anonymous writes", anonymous.set_data(&local, b"y", None)).await?;
    expect_error("setData with only READ by ip", write, Error::NoAuth)?;
    let foreign = scenario.path("ip-foreign");
    let foreign_acl = [Acl::new(Permission::ALL, AuthId::new("ip", FOREIGN_IP))];
    within(
        "create ip-foreign",
        create_with(&alice, &foreign, &foreign_acl),
    )
    .await?
    .at("create ip ACL")?;
    expect_error(
        "getData from another ip",
        within("get", alice.get_data(&foreign)).await?,
        Error::NoAuth,
    )?;

    // world: setACL with versions.
    let open = scenario.path("world");
    within(
        "create world",
        create_with(
            &anonymous,
            &open,
            &[Acl::new(Permission::ALL, AuthId::anyone())],
        ),
    )
    .await?
    .at("create world node")?;
    let all = [Acl::new(Permission::ALL, AuthId::anyone())];
    let stat = within("setACL", anonymous.set_acl(&open, &all, Some(0)))
        .await?
        .at("setACL aversion 0")?;
    expect_eq(
        "setACL stat (aversion, version)",
        (stat.aversion, stat.version),
        (1, 0),
    )?;
    let stale = within("setACL stale", anonymous.set_acl(&open, &all, Some(0))).await?;
    expect_error("setACL with a stale aversion", stale, Error::BadVersion)?;
    let read_only = [Acl::new(Permission::READ, AuthId::anyone())];
    within("setACL read", anonymous.set_acl(&open, &read_only, Some(1)))
        .await?
        .at("setACL aversion 1")?;
    let (acl, stat) = within("getACL world", anonymous.get_acl(&open))
        .await?
        .at("getACL world")?;
    expect_eq(
        "world ACL after two setACLs",
        (acl, stat.aversion),
        (read_only.to_vec(), 2),
    )?;
    let write = within("set world", anonymous.set_data(&open, b"y", None)).await?;
    expect_error("setData on world:anyone READ", write, Error::NoAuth)?;
    let admin = within("setACL again", anonymous.set_acl(&open, &read_only, None)).await?;
    expect_error("setACL without ADMIN", admin, Error::NoAuth)
}
