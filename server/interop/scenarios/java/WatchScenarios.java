// Watch scenarios for the Java client: one-shot data, exists and child watches; persistent and
// persistent-recursive watches (addWatch); removeWatches.

import static java.util.Arrays.asList;

import java.util.Map;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.WatcherType;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooKeeper;

final class WatchScenarios {
    private WatchScenarios() {}

    static void create(ZooKeeper zk, String path) throws Exception {
        zk.create(path, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    }

    static void oneShotWatches(Map<String, String> args) throws Exception {
        String root = args.get("root");
        String server = args.get("server");
        ZooKeeper watching = Interop.connect(server);
        ZooKeeper mutator = Interop.connect(server);
        create(mutator, root);
        String dataNode = root + "/d";
        String absent = root + "/x";
        create(mutator, dataNode);

        Interop.Recorder dataWatch = new Interop.Recorder();
        Interop.Recorder existsWatch = new Interop.Recorder();
        Interop.Recorder childWatch = new Interop.Recorder();
        watching.getData(dataNode, dataWatch, null);
        Interop.check("exists on a missing node", watching.exists(absent, existsWatch), null);
        Interop.check("children of d", watching.getChildren(dataNode, childWatch), asList());

        mutator.setData(dataNode, Interop.bytes("1"), -1);
        dataWatch.expect("data watch on setData", EventType.NodeDataChanged, dataNode);
        create(mutator, absent);
        existsWatch.expect("exists watch on create", EventType.NodeCreated, absent);
        create(mutator, dataNode + "/c");
        childWatch.expect("child watch on create", EventType.NodeChildrenChanged, dataNode);

        // Each fired once. A sentinel's event proves later events would have arrived by now.
        mutator.setData(dataNode, Interop.bytes("2"), -1);
        create(mutator, dataNode + "/c2");
        Interop.Recorder sentinel = new Interop.Recorder();
        watching.exists(root + "/sentinel", sentinel);
        create(mutator, root + "/sentinel");
        sentinel.expect("sentinel exists watch", EventType.NodeCreated, root + "/sentinel");
        dataWatch.expectNone("one-shot data watch after firing");
        childWatch.expectNone("one-shot child watch after firing");
        existsWatch.expectNone("one-shot exists watch after firing");

        Interop.Recorder deletedData = new Interop.Recorder();
        Interop.Recorder deletedChild = new Interop.Recorder();
        watching.getData(absent, deletedData, null);
        watching.getChildren(absent, deletedChild);
        mutator.delete(absent, -1);
        deletedData.expect("data watch on delete", EventType.NodeDeleted, absent);
        deletedChild.expect("child watch on delete", EventType.NodeDeleted, absent);
        if (Interop.wchpLists(server, dataNode)) {
            throw new AssertionError("wchp still lists " + dataNode + " after its watches fired");
        }
        watching.close();
        mutator.close();
    }

    static void persistentWatches(Map<String, String> args) throws Exception {
        String root = args.get("root");
        String server = args.get("server");
        ZooKeeper watching = Interop.connect(server);
        ZooKeeper mutator = Interop.connect(server);
        create(mutator, root);
        String node = root + "/p";
        create(mutator, node);

        Interop.Recorder persistent = new Interop.Recorder();
        watching.addWatch(node, persistent, AddWatchMode.PERSISTENT);
        mutator.setData(node, Interop.bytes("1"), -1);
        create(mutator, node + "/c");
        create(mutator, node + "/c/g"); // a grandchild: not seen by a non-recursive watch
        mutator.setData(node + "/c", Interop.bytes("2"), -1); // the child's data: not seen either
        mutator.setData(node, Interop.bytes("3"), -1);
        persistent.expect("persistent watch event 1", EventType.NodeDataChanged, node);
        persistent.expect("persistent watch event 2", EventType.NodeChildrenChanged, node);
        persistent.expect("persistent watch event 3 (it stays after firing)", EventType.NodeDataChanged, node);

        String tree = root + "/r";
        create(mutator, tree);
        Interop.Recorder recursive = new Interop.Recorder();
        watching.addWatch(tree, recursive, AddWatchMode.PERSISTENT_RECURSIVE);
        String a = tree + "/a";
        String b = tree + "/a/b";
        create(mutator, a);
        mutator.setData(a, Interop.bytes("1"), -1);
        create(mutator, b);
        mutator.delete(b, -1);
        mutator.setData(tree, Interop.bytes("1"), -1);
        recursive.expect("recursive watch event 1", EventType.NodeCreated, a);
        recursive.expect("recursive watch event 2", EventType.NodeDataChanged, a);
        recursive.expect("recursive watch event 3", EventType.NodeCreated, b);
        recursive.expect("recursive watch event 4", EventType.NodeDeleted, b);
        recursive.expect("recursive watch event 5 (no NodeChildrenChanged)", EventType.NodeDataChanged, tree);

        // removeWatches with one watcher sends checkWatches: the client drops that watcher, the
        // server keeps the session's watch. removeAllWatches sends removeWatches: the server drops it.
        String removable = root + "/rm";
        create(mutator, removable);
        Interop.Recorder first = new Interop.Recorder();
        Interop.Recorder second = new Interop.Recorder();
        watching.getData(removable, first, null);
        watching.getData(removable, second, null);
        if (!Interop.wchpLists(server, removable)) {
            throw new AssertionError("wchp does not list " + removable + " while it is watched");
        }
        watching.removeWatches(removable, first, WatcherType.Data, false);
        first.expect("removeWatches (checkWatches) tells its watcher", EventType.DataWatchRemoved, removable);
        if (!Interop.wchpLists(server, removable)) {
            throw new AssertionError("wchp no longer lists " + removable + " after checkWatches");
        }
        watching.removeAllWatches(removable, WatcherType.Data, false);
        second.expect("removeAllWatches tells the other watcher", EventType.DataWatchRemoved, removable);
        if (Interop.wchpLists(server, removable)) {
            throw new AssertionError("wchp still lists " + removable + " after removeWatches");
        }
        Interop.expectCode("removeAllWatches where none is set", Code.NOWATCHER,
            () -> watching.removeAllWatches(removable, WatcherType.Data, false));
        mutator.setData(node, Interop.bytes("4"), -1);
        persistent.expect("persistent watch after removeWatches of another path", EventType.NodeDataChanged, node);
        watching.close();
        mutator.close();
    }
}
