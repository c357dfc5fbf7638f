// ACL scenarios for the Java client: world, ip, auth and digest schemes, digest authentication,
// getACL masking, setACL versions, whoAmI.

import static java.util.Arrays.asList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

final class AclScenarios {
    static final String FOREIGN_IP = "192.0.2.1"; // TEST-NET-1 (RFC 5737): only inside an ACL

    private AclScenarios() {}

    static List<String> whoAmI(ZooKeeper zk) throws Exception {
        List<String> out = new ArrayList<>();
        for (ClientInfo info : zk.whoAmI()) {
            out.add(info.getAuthScheme() + ":" + info.getUser());
        }
        Collections.sort(out);
        return out;
    }

    static void aclsAndAuth(Map<String, String> args) throws Exception {
        String root = args.get("root");
        String server = args.get("server");
        ZooKeeper anonymous = Interop.connect(server);
        ZooKeeper alice = Interop.connect(server);
        ZooKeeper mallory = Interop.connect(server);
        anonymous.create(root, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        alice.addAuthInfo("digest", Interop.bytes("alice:secret"));
        mallory.addAuthInfo("digest", Interop.bytes("alice:guess")); // authenticates as another id

        String aliceId = DigestAuthenticationProvider.generateDigest("alice:secret");
        Interop.check("digest id of alice:secret", aliceId, "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
        Interop.check("whoAmI of an anonymous session", whoAmI(anonymous), asList("ip:127.0.0.1"));
        Interop.check("whoAmI after digest auth", whoAmI(alice), asList("digest:alice", "ip:127.0.0.1"));

        String secret = root + "/digest";
        List<ACL> digestAcl = asList(new ACL(Perms.ALL, new Id("digest", aliceId)));
        alice.create(secret, Interop.bytes("x"), digestAcl, CreateMode.PERSISTENT);
        Stat stat = new Stat();
        Interop.check("getACL of the digest node", alice.getACL(secret, stat), digestAcl);
        Interop.check("aversion of a new node", stat.getAversion(), 0);
        Interop.check("alice reads her node", Interop.text(alice.getData(secret, false, null)), "x");
        Interop.expectCode("anonymous getData on a digest node", Code.NOAUTH, () -> anonymous.getData(secret, false, null));
        Interop.expectCode("wrong password getData", Code.NOAUTH, () -> mallory.getData(secret, false, null));
        Interop.expectCode("anonymous setData on a digest node", Code.NOAUTH,
            () -> anonymous.setData(secret, Interop.bytes("y"), -1));
        Interop.expectCode("getACL without READ or ADMIN", Code.NOAUTH, () -> anonymous.getACL(secret, null));

        String masked = root + "/masked";
        List<ACL> maskedAcl = asList(new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE), digestAcl.get(0));
        alice.create(masked, Interop.bytes("x"), maskedAcl, CreateMode.PERSISTENT);
        Interop.check("getACL with READ but not ADMIN masks digests", anonymous.getACL(masked, null),
            asList(maskedAcl.get(0), new ACL(Perms.ALL, new Id("digest", "alice:x"))));
        Interop.check("getACL with ADMIN", alice.getACL(masked, null), maskedAcl);

        String creator = root + "/auth";
        alice.create(creator, Interop.bytes("x"), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
        Interop.check("auth scheme expands to the digest id", alice.getACL(creator, null), digestAcl);
        Interop.expectCode("auth scheme without an authenticated id", Code.INVALIDACL,
            () -> anonymous.create(root + "/auth-anon", new byte[0], Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));

        String local = root + "/ip-local";
        alice.create(local, Interop.bytes("x"), asList(new ACL(Perms.READ, new Id("ip", "127.0.0.1"))),
            CreateMode.PERSISTENT);
        Interop.check("getData allowed by ip:127.0.0.1", Interop.text(anonymous.getData(local, false, null)), "x");
        Interop.expectCode("setData with only READ by ip", Code.NOAUTH, () -> anonymous.setData(local, Interop.bytes("y"), -1));
        String foreign = root + "/ip-foreign";
        alice.create(foreign, Interop.bytes("x"), asList(new ACL(Perms.ALL, new Id("ip", FOREIGN_IP))),
            CreateMode.PERSISTENT);
        Interop.expectCode("getData from another ip", Code.NOAUTH, () -> alice.getData(foreign, false, null));

        String world = root + "/world";
        anonymous.create(world, Interop.bytes("x"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        stat = anonymous.setACL(world, Ids.OPEN_ACL_UNSAFE, 0);
        Interop.check("setACL stat (aversion, version)", asList(stat.getAversion(), stat.getVersion()), asList(1, 0));
        Interop.expectCode("setACL with a stale aversion", Code.BADVERSION,
            () -> anonymous.setACL(world, Ids.OPEN_ACL_UNSAFE, 0));
        anonymous.setACL(world, Ids.READ_ACL_UNSAFE, 1);
        stat = new Stat();
        Interop.check("world ACL after two setACLs", anonymous.getACL(world, stat), Ids.READ_ACL_UNSAFE);
        Interop.check("aversion after two setACLs", stat.getAversion(), 2);
        Interop.expectCode("setData on world:anyone READ", Code.NOAUTH, () -> anonymous.setData(world, Interop.bytes("y"), -1));
        Interop.expectCode("setACL without ADMIN", Code.NOAUTH, () -> anonymous.setACL(world, Ids.READ_ACL_UNSAFE, -1));
        for (ZooKeeper zk : asList(anonymous, alice, mallory)) {
            zk.close();
        }
    }
}
