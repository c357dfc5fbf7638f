"""kazoo: ACLs with the world, ip, auth and digest schemes; digest authentication (NoAuth for
others, OK for the authenticated session); getACL masking; setACL versions; whoAmI."""

from kazoo.exceptions import BadVersionError, InvalidACLError, NoAuthError
from kazoo.security import ACL, CREATOR_ALL_ACL, Id, Permissions, make_digest_acl_credential

from interop_common import WhoAmI, call, check, check_raises, connect, parse_args, passed

FOREIGN_IP = "192.0.2.1"  # TEST-NET-1 (RFC 5737): no client connects from it; only in an ACL


def main():
    args = parse_args()
    root = args.root
    anonymous = connect(args.server)
    alice = connect(args.server)
    mallory = connect(args.server)
    anonymous.create(root)
    alice.add_auth("digest", "alice:secret")
    mallory.add_auth("digest", "alice:guess")  # a wrong password authenticates as another id

    alice_id = make_digest_acl_credential("alice", "secret")
    check("digest id of alice:secret", alice_id, "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=")
    check("whoAmI of an anonymous session", sorted(call(anonymous, WhoAmI())), [("ip", "127.0.0.1")])
    check("whoAmI after digest auth", sorted(call(alice, WhoAmI())), [("digest", "alice"), ("ip", "127.0.0.1")])

    secret = f"{root}/digest"
    digest_acl = [ACL(Permissions.ALL, Id("digest", alice_id))]
    alice.create(secret, b"x", acl=digest_acl)
    acls, stat = alice.get_acls(secret)
    check("getACL of the digest node", (acls, stat.aversion), (digest_acl, 0))
    check("alice reads her node", alice.get(secret)[0], b"x")
    check_raises("anonymous getData on a digest node", NoAuthError, lambda: anonymous.get(secret))
    check_raises("wrong password getData", NoAuthError, lambda: mallory.get(secret))
    check_raises("anonymous setData on a digest node", NoAuthError, lambda: anonymous.set(secret, b"y"))
    check_raises("getACL without READ or ADMIN", NoAuthError, lambda: anonymous.get_acls(secret))

    masked = f"{root}/masked"
    masked_acl = [ACL(Permissions.READ, Id("world", "anyone")), digest_acl[0]]
    alice.create(masked, b"x", acl=masked_acl)
    shown = [masked_acl[0], ACL(Permissions.ALL, Id("digest", "alice:x"))]
    check("getACL with READ but not ADMIN masks digests", anonymous.get_acls(masked)[0], shown)
    check("getACL with ADMIN", alice.get_acls(masked)[0], masked_acl)

    creator = f"{root}/auth"
    alice.create(creator, b"x", acl=CREATOR_ALL_ACL)
    check("auth scheme expands to the digest id", alice.get_acls(creator)[0], digest_acl)
    check_raises("auth scheme without an authenticated id", InvalidACLError,
                 lambda: anonymous.create(f"{root}/auth-anon", acl=CREATOR_ALL_ACL))

    local = f"{root}/ip-local"
    alice.create(local, b"x", acl=[ACL(Permissions.READ, Id("ip", "127.0.0.1"))])
    check("getData allowed by ip:127.0.0.1", anonymous.get(local)[0], b"x")
    check_raises("setData with only READ by ip", NoAuthError, lambda: anonymous.set(local, b"y"))
    foreign = f"{root}/ip-foreign"
    alice.create(foreign, b"x", acl=[ACL(Permissions.ALL, Id("ip", FOREIGN_IP))])
    check_raises("getData from another ip", NoAuthError, lambda: alice.get(foreign))

    world = f"{root}/world"
    all_acl = [ACL(Permissions.ALL, Id("world", "anyone"))]
    anonymous.create(world, b"x", acl=all_acl)
    stat = anonymous.set_acls(world, all_acl, version=0)
    check("setACL stat (aversion, version)", (stat.aversion, stat.version), (1, 0))
    check_raises("setACL with a stale aversion", BadVersionError,
                 lambda: anonymous.set_acls(world, all_acl, version=0))
    read_only = [ACL(Permissions.READ, Id("world", "anyone"))]
    anonymous.set_acls(world, read_only, version=1)
    acls, stat = anonymous.get_acls(world)
    check("world ACL after two setACLs", (acls, stat.aversion), (read_only, 2))
    check_raises("setData on world:anyone READ", NoAuthError, lambda: anonymous.set(world, b"y"))
    check_raises("setACL without ADMIN", NoAuthError, lambda: anonymous.set_acls(world, read_only))
    for client in (anonymous, alice, mallory):
        client.stop()
        client.close()
    passed("acl")


if __name__ == "__main__":
    main()
