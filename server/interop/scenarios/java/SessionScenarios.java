// Session scenarios for the Java client: expiry behind a partition, reconnect with setWatches
// (setWatches2, as a persistent watch is also set), close. Expiry and reconnect need --proxy and
// --control (the fault proxy in front of the server).

import java.util.Map;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooKeeper;

final class SessionScenarios {
    static final int SHORT_SESSION_TIMEOUT_MS = 4_000;
    static final long STATE_WAIT_S = 40; // a session timeout plus reconnect attempts

    private SessionScenarios() {}

    static String required(Map<String, String> args, String key) {
        String value = args.get(key);
        if (value == null) {
            throw new IllegalArgumentException("this scenario needs --" + key);
        }
        return value;
    }

    static void expiry(Map<String, String> args) throws Exception {
        String root = args.get("root");
        String control = required(args, "control");
        Interop.Recorder doomedStates = new Interop.Recorder();
        ZooKeeper doomed = Interop.connect(required(args, "proxy"), SHORT_SESSION_TIMEOUT_MS, doomedStates);
        ZooKeeper observer = Interop.connect(args.get("server"));
        observer.create(root, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        String ephemeral = root + "/eph";
        doomed.create(ephemeral, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        Interop.Recorder watch = new Interop.Recorder();
        Interop.check("ephemeralOwner", observer.exists(ephemeral, watch).getEphemeralOwner(), doomed.getSessionId());

        Interop.proxyCommand(control, "partition");
        // The server hears nothing from the session for its timeout and expires it.
        watch.expect("observer's watch on expiry", EventType.NodeDeleted, ephemeral);
        Interop.check("ephemeral after expiry", observer.exists(ephemeral, false), null);
        doomedStates.awaitState("doomed client notices the partition", KeeperState.Disconnected, STATE_WAIT_S);
        Interop.proxyCommand(control, "heal");
        doomedStates.awaitState("doomed client learns of the expiry", KeeperState.Expired, STATE_WAIT_S);
        Interop.expectCode("an operation of the expired session", Code.SESSIONEXPIRED, () -> doomed.exists(root, false));
        doomed.close();
        observer.close();
    }

    static void reconnect(Map<String, String> args) throws Exception {
        String root = args.get("root");
        String control = required(args, "control");
        Interop.Recorder states = new Interop.Recorder();
        ZooKeeper watching = Interop.connect(required(args, "proxy"), Interop.SESSION_TIMEOUT_MS, states);
        ZooKeeper mutator = Interop.connect(args.get("server"));
        String dataNode = root + "/d";
        String absent = root + "/later";
        String parent = root + "/kids";
        String persistentNode = root + "/p";
        for (String path : new String[] {root, dataNode, parent, persistentNode}) {
            mutator.create(path, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        }
        long session = watching.getSessionId();
        Interop.Recorder dataWatch = new Interop.Recorder();
        Interop.Recorder existsWatch = new Interop.Recorder();
        Interop.Recorder childWatch = new Interop.Recorder();
        Interop.Recorder persistent = new Interop.Recorder();
        watching.getData(dataNode, dataWatch, null);
        watching.exists(absent, existsWatch);
        watching.getChildren(parent, childWatch);
        watching.addWatch(persistentNode, persistent, AddWatchMode.PERSISTENT);

        Interop.proxyCommand(control, "drop");
        states.awaitState("the client notices the lost connection", KeeperState.Disconnected, STATE_WAIT_S);
        mutator.setData(dataNode, Interop.bytes("changed"), -1);
        mutator.create(absent, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        mutator.create(parent + "/k", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        Interop.proxyCommand(control, "heal");
        states.awaitState("the client reconnects", KeeperState.SyncConnected, STATE_WAIT_S);
        Interop.check("session id after reconnect", watching.getSessionId(), session);
        dataWatch.expect("data watch re-set after reconnect", EventType.NodeDataChanged, dataNode);
        existsWatch.expect("exists watch re-set after reconnect", EventType.NodeCreated, absent);
        childWatch.expect("child watch re-set after reconnect", EventType.NodeChildrenChanged, parent);
        mutator.setData(persistentNode, Interop.bytes("after"), -1);
        persistent.expect("persistent watch re-set after reconnect", EventType.NodeDataChanged, persistentNode);
        Interop.check("data seen after reconnect", Interop.text(watching.getData(dataNode, false, null)), "changed");
        watching.close();
        mutator.close();
    }

    static void close(Map<String, String> args) throws Exception {
        String root = args.get("root");
        ZooKeeper closing = Interop.connect(args.get("server"));
        ZooKeeper observer = Interop.connect(args.get("server"));
        closing.create(root, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        String ephemeral = root + "/eph";
        closing.create(ephemeral, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        Interop.Recorder watch = new Interop.Recorder();
        Interop.check("ephemeral exists", observer.exists(ephemeral, watch) != null, true);
        closing.close(); // sends closeSession and waits for its answer
        watch.expect("observer's watch on close", EventType.NodeDeleted, ephemeral);
        Interop.check("ephemeral after close", observer.exists(ephemeral, false), null);
        Interop.check("state of a closed client", closing.getState(), ZooKeeper.States.CLOSED);
        Interop.expectCode("an operation of the closed client", Code.SESSIONEXPIRED, () -> closing.exists(root, false));
        observer.close();
    }
}
