// Node scenarios for the Java client: every create mode, delete's checks, stats field by field,
// multi and multiRead, sync.

import static java.util.Arrays.asList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

final class NodeScenarios {
    static final long REAP_TIMEOUT_MS = 15_000; // the container manager checks every second
    static final long TTL_MS = 500;

    private NodeScenarios() {}

    static void checkFresh(String what, Stat stat, int dataLength, long ephemeralOwner) {
        Interop.check(what + ": (version, cversion, aversion, numChildren, dataLength, ephemeralOwner)",
            asList(stat.getVersion(), stat.getCversion(), stat.getAversion(), stat.getNumChildren(),
                stat.getDataLength(), stat.getEphemeralOwner()),
            asList(0, 0, 0, 0, dataLength, ephemeralOwner));
        Interop.check(what + ": (mzxid, pzxid) equal czxid", asList(stat.getMzxid(), stat.getPzxid()),
            asList(stat.getCzxid(), stat.getCzxid()));
        if (stat.getCzxid() <= 0 || stat.getCtime() != stat.getMtime()) {
            throw new AssertionError(what + ": stat " + stat);
        }
    }

    static void awaitGone(ZooKeeper zk, String path) throws Exception {
        long deadline = System.currentTimeMillis() + REAP_TIMEOUT_MS;
        while (zk.exists(path, false) != null) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(path + " still exists after " + REAP_TIMEOUT_MS + " ms (container manager)");
            }
            Thread.sleep(200);
        }
    }

    static List<String> sorted(List<String> names) {
        List<String> copy = new ArrayList<>(names);
        Collections.sort(copy);
        return copy;
    }

    static void createModes(Map<String, String> args) throws Exception {
        String root = args.get("root");
        ZooKeeper zk = Interop.connect(args.get("server"));
        long session = zk.getSessionId();
        zk.create(root, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        Stat stat = new Stat();
        Interop.check("create2 path", zk.create(root + "/persistent", Interop.bytes("p"), Ids.OPEN_ACL_UNSAFE,
            CreateMode.PERSISTENT, stat), root + "/persistent");
        checkFresh("create2 persistent", stat, 1, 0);
        zk.create(root + "/ephemeral", Interop.bytes("ee"), Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL, stat);
        checkFresh("create2 ephemeral", stat, 2, session);

        // The sequence number is the parent's cversion at creation: two children exist already.
        String first = zk.create(root + "/seq-", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);
        String second = zk.create(root + "/seq-", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);
        Interop.check("sequential names", asList(first, second), asList(root + "/seq-0000000002", root + "/seq-0000000003"));
        String eseq = zk.create(root + "/eseq-", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL, stat);
        Interop.check("ephemeral sequential name", eseq, root + "/eseq-0000000004");
        Interop.check("ephemeral sequential ephemeralOwner", stat.getEphemeralOwner(), session);
        Interop.check("children after every create mode", sorted(zk.getChildren(root, false)),
            asList("ephemeral", "eseq-0000000004", "persistent", "seq-0000000002", "seq-0000000003"));

        // Container: clients see ephemeralOwner 0; it goes once its last child goes.
        String container = root + "/container";
        zk.create(container, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER, stat);
        Interop.check("container ephemeralOwner as clients see it", stat.getEphemeralOwner(), 0L);
        zk.create(container + "/child", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.delete(container + "/child", -1);
        awaitGone(zk, container);

        String ttl = root + "/ttl";
        zk.create(ttl, Interop.bytes("t"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, stat, TTL_MS);
        Interop.check("TTL node ephemeralOwner as clients see it", stat.getEphemeralOwner(), 0L);
        awaitGone(zk, ttl);

        Interop.expectCode("create an existing node", Code.NODEEXISTS,
            () -> zk.create(root + "/persistent", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        Interop.expectCode("create under a missing parent", Code.NONODE,
            () -> zk.create(root + "/missing/child", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        Interop.expectCode("create under an ephemeral", Code.NOCHILDRENFOREPHEMERALS,
            () -> zk.create(root + "/ephemeral/child", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        zk.close();
    }

    static void deleteVersions(Map<String, String> args) throws Exception {
        String root = args.get("root");
        ZooKeeper zk = Interop.connect(args.get("server"));
        zk.create(root, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        String node = root + "/node";
        zk.create(node, Interop.bytes("v0"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        Interop.check("version after one setData", zk.setData(node, Interop.bytes("v1"), 0).getVersion(), 1);
        Interop.expectCode("delete with a stale version", Code.BADVERSION, () -> zk.delete(node, 0));
        zk.delete(node, 1);
        Interop.expectCode("delete a deleted node", Code.NONODE, () -> zk.delete(node, -1));

        String parent = root + "/parent";
        zk.create(parent, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create(parent + "/child", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        Interop.expectCode("delete a node with a child", Code.NOTEMPTY, () -> zk.delete(parent, -1));
        zk.delete(parent + "/child", 0);
        zk.delete(parent, -1);
        Interop.check("parent after delete", zk.exists(parent, false), null);
        zk.close();
    }

    static void statsAndChildren(Map<String, String> args) throws Exception {
        String root = args.get("root");
        ZooKeeper zk = Interop.connect(args.get("server"));
        long session = zk.getSessionId();
        zk.create(root, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        String node = root + "/s";
        Stat created = new Stat();
        zk.create(node, Interop.bytes("abc"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, created);
        Interop.check("exists stat equals the create2 stat", zk.exists(node, false), created);

        Stat updated = zk.setData(node, Interop.bytes("hello!"), -1);
        Interop.check("setData stat (version, dataLength, czxid)",
            asList(updated.getVersion(), updated.getDataLength(), updated.getCzxid()), asList(1, 6, created.getCzxid()));
        if (updated.getMzxid() <= created.getMzxid() || updated.getPzxid() != created.getPzxid()) {
            throw new AssertionError("setData zxids: created " + created + " after set " + updated);
        }
        Stat got = new Stat();
        Interop.check("getData data", Interop.text(zk.getData(node, false, got)), "hello!");
        Interop.check("getData stat equals the setData stat", got, updated);

        zk.create(node + "/a", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create(node + "/b", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        Stat cStat = new Stat();
        zk.create(node + "/c", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, cStat);
        Stat parent = zk.exists(node, false);
        Interop.check("parent after 3 creates (cversion, numChildren, pzxid, version)",
            asList(parent.getCversion(), parent.getNumChildren(), parent.getPzxid(), parent.getVersion()),
            asList(3, 3, cStat.getCzxid(), 1));
        zk.delete(node + "/c", -1);
        Stat childrenStat = new Stat();
        Interop.check("getChildren2 names", sorted(zk.getChildren(node, false, childrenStat)), asList("a", "b"));
        Interop.check("getChildren2 stat (cversion, numChildren)",
            asList(childrenStat.getCversion(), childrenStat.getNumChildren()), asList(4, 2));
        Interop.check("getChildren names", sorted(zk.getChildren(node, false)), asList("a", "b"));
        Interop.check("ephemeral's ephemeralOwner", zk.exists(node + "/b", false).getEphemeralOwner(), session);
        Interop.check("persistent's ephemeralOwner", zk.exists(node + "/a", false).getEphemeralOwner(), 0L);

        zk.create(node + "/a/x", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        Interop.check("getAllChildrenNumber (a, b, a/x)", zk.getAllChildrenNumber(node), 3);
        Interop.check("getAllChildrenNumber of a leaf", zk.getAllChildrenNumber(node + "/a/x"), 0);
        String other = root + "/other-ephemeral";
        zk.create(other, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        Interop.check("getEphemerals under the root", sorted(zk.getEphemerals(root)), asList(other, node + "/b"));
        Interop.check("getEphemerals under s", zk.getEphemerals(node), asList(node + "/b"));

        Interop.check("exists on a missing node", zk.exists(root + "/missing", false), null);
        Interop.expectCode("getData on a missing node", Code.NONODE, () -> zk.getData(root + "/missing", false, null));
        zk.close();
    }

    static void multiAndSync(Map<String, String> args) throws Exception {
        String root = args.get("root");
        ZooKeeper zk = Interop.connect(args.get("server"));
        zk.create(root, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        String m1 = root + "/m1";
        String m2 = root + "/m2";
        String m3 = root + "/m3";
        List<OpResult> results = zk.multi(asList(
            Op.create(m1, Interop.bytes("one"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
            Op.create(m2, Interop.bytes("two"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
            Op.setData(m1, Interop.bytes("uno"), 0),
            Op.check(m1, 1),
            Op.delete(m2, 0)));
        List<String> kinds = new ArrayList<>();
        for (OpResult result : results) {
            kinds.add(result.getClass().getSimpleName());
        }
        Interop.check("multi result kinds", kinds,
            asList("CreateResult", "CreateResult", "SetDataResult", "CheckResult", "DeleteResult"));
        Interop.check("multi create path", ((OpResult.CreateResult) results.get(0)).getPath(), m1);
        Stat setStat = ((OpResult.SetDataResult) results.get(2)).getStat();
        Interop.check("multi setData stat (version, dataLength)", asList(setStat.getVersion(), setStat.getDataLength()),
            asList(1, 3));
        Stat stat = new Stat();
        Interop.check("m1 after multi", Interop.text(zk.getData(m1, false, stat)) + " v" + stat.getVersion(), "uno v1");
        Interop.check("m2 created and deleted in one multi", zk.exists(m2, false), null);

        // Atomic failure: ops before the failing one report OK, the failing one its error, the
        // ones after RUNTIMEINCONSISTENCY.
        try {
            zk.multi(asList(
                Op.create(m3, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.setData(m1, Interop.bytes("bad"), 7),
                Op.delete(m1, -1)));
            throw new AssertionError("failing multi: expected BADVERSION, got success");
        } catch (KeeperException e) {
            Interop.check("failing multi error", e.code(), Code.BADVERSION);
            List<Integer> codes = new ArrayList<>();
            for (OpResult result : e.getResults()) {
                codes.add(((OpResult.ErrorResult) result).getErr());
            }
            Interop.check("failing multi per-op error codes", codes,
                asList(Code.OK.intValue(), Code.BADVERSION.intValue(), Code.RUNTIMEINCONSISTENCY.intValue()));
        }
        Interop.check("m3 after a failed multi", zk.exists(m3, false), null);
        Interop.check("m1 after a failed multi", Interop.text(zk.getData(m1, false, null)), "uno");

        List<OpResult> reads = zk.multi(asList(Op.getData(m1), Op.getChildren(root), Op.getData(m3)));
        Interop.check("multiRead result count", reads.size(), 3);
        OpResult.GetDataResult data = (OpResult.GetDataResult) reads.get(0);
        Interop.check("multiRead getData", Interop.text(data.getData()) + " v" + data.getStat().getVersion(), "uno v1");
        Interop.check("multiRead getChildren", ((OpResult.GetChildrenResult) reads.get(1)).getChildren(), asList("m1"));
        Interop.check("multiRead getData of a missing node", ((OpResult.ErrorResult) reads.get(2)).getErr(),
            Code.NONODE.intValue());

        CountDownLatch synced = new CountDownLatch(1);
        AtomicInteger syncCode = new AtomicInteger(Integer.MIN_VALUE);
        AtomicReference<String> syncPath = new AtomicReference<>();
        zk.sync(root, (rc, path, ctx) -> {
            syncCode.set(rc);
            syncPath.set(path);
            synced.countDown();
        }, null);
        if (!synced.await(Interop.WAIT_S, TimeUnit.SECONDS)) {
            throw new AssertionError("sync: no answer within " + Interop.WAIT_S + " s");
        }
        Interop.check("sync result (rc, path)", asList(syncCode.get(), syncPath.get()), asList(0, root));
        zk.close();
    }
}
