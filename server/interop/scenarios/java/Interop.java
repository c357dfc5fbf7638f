// The interop scenarios driven by Apache ZooKeeper's own Java client.
//
// java -cp <classes>:/usr/share/java/zookeeper.jar Interop --scenario NAME --server HOST:PORT
//      --root /unique/root [--proxy HOST:PORT --control HOST:PORT]
//
// Prints "PASS <scenario>" and exits 0, or prints what was expected and what came, and exits 1.
// Every wait is bounded (WAIT_S); the Rust test kills the JVM if the whole run overstays.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

public final class Interop {
    static final long WAIT_S = 20;
    static final int SESSION_TIMEOUT_MS = 10_000;

    interface Step {
        void run() throws Exception;
    }

    interface Scenario {
        void run(Map<String, String> args) throws Exception;
    }

    /** Keeps node events and session states apart; each wait is bounded. */
    static final class Recorder implements Watcher {
        final BlockingQueue<WatchedEvent> nodeEvents = new LinkedBlockingQueue<>();
        final BlockingQueue<Event.KeeperState> states = new LinkedBlockingQueue<>();

        @Override
        public void process(WatchedEvent event) {
            if (event.getType() == Event.EventType.None) {
                states.add(event.getState());
            } else {
                nodeEvents.add(event);
            }
        }

        WatchedEvent next(String what) throws InterruptedException {
            WatchedEvent event = nodeEvents.poll(WAIT_S, TimeUnit.SECONDS);
            if (event == null) {
                throw new AssertionError(what + ": no watch event within " + WAIT_S + " s");
            }
            return event;
        }

        void expect(String what, Event.EventType type, String path) throws InterruptedException {
            WatchedEvent event = next(what);
            check(what, event.getType() + " " + event.getPath(), type + " " + path);
        }

        void expectNone(String what) {
            WatchedEvent extra = nodeEvents.poll();
            if (extra != null) {
                throw new AssertionError(what + ": expected no more events, got " + extra);
            }
        }

        void awaitState(String what, Event.KeeperState wanted, long timeoutS) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
            StringBuilder seen = new StringBuilder();
            while (true) {
                long left = deadline - System.nanoTime();
                Event.KeeperState state = left > 0 ? states.poll(left, TimeUnit.NANOSECONDS) : null;
                if (state == null) {
                    throw new AssertionError(what + ": no " + wanted + " within " + timeoutS + " s; seen [" + seen + "]");
                }
                seen.append(state).append(' ');
                if (state == wanted) {
                    return;
                }
            }
        }
    }

    static ZooKeeper connect(String hosts, int sessionTimeoutMs, Recorder recorder) throws Exception {
        ZooKeeper zk = new ZooKeeper(hosts, sessionTimeoutMs, recorder);
        recorder.awaitState("connect to " + hosts, Watcher.Event.KeeperState.SyncConnected, WAIT_S);
        return zk;
    }

    static ZooKeeper connect(String hosts) throws Exception {
        return connect(hosts, SESSION_TIMEOUT_MS, new Recorder());
    }

    static void check(String what, Object got, Object expected) {
        if (!Objects.equals(got, expected)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + got);
        }
    }

    static void expectCode(String what, KeeperException.Code expected, Step step) throws Exception {
        try {
            step.run();
        } catch (KeeperException e) {
            check(what, e.code(), expected);
            return;
        }
        throw new AssertionError(what + ": expected " + expected + ", got success");
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] data) {
        return data == null ? null : new String(data, StandardCharsets.UTF_8);
    }

    /** Sends one line to the fault proxy's control port and expects "ok". */
    static void proxyCommand(String control, String command) throws Exception {
        String[] hostPort = control.split(":");
        try (Socket line = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            line.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
            OutputStream out = line.getOutputStream();
            out.write(bytes(command + "\n"));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(line.getInputStream(), StandardCharsets.UTF_8));
            check("fault proxy answer to " + command, in.readLine(), "ok");
        }
    }

    /** Sends a four-letter word and returns the whole answer. */
    static String fourLetter(String server, String word) throws Exception {
        String[] hostPort = server.split(":");
        try (Socket line = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            line.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
            line.getOutputStream().write(bytes(word));
            line.getOutputStream().flush();
            return new String(line.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static boolean wchpLists(String server, String path) throws Exception {
        for (String line : fourLetter(server, "wchp").split("\n")) {
            if (line.trim().equals(path)) {
                return true;
            }
        }
        return false;
    }

    public static void main(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        Map<String, Scenario> scenarios = new HashMap<>();
        scenarios.put("create-modes", NodeScenarios::createModes);
        scenarios.put("delete", NodeScenarios::deleteVersions);
        scenarios.put("stats", NodeScenarios::statsAndChildren);
        scenarios.put("acl", AclScenarios::aclsAndAuth);
        scenarios.put("multi", NodeScenarios::multiAndSync);
        scenarios.put("oneshot-watches", WatchScenarios::oneShotWatches);
        scenarios.put("persistent-watches", WatchScenarios::persistentWatches);
        scenarios.put("expiry", SessionScenarios::expiry);
        scenarios.put("reconnect", SessionScenarios::reconnect);
        scenarios.put("close", SessionScenarios::close);
        String name = args.getOrDefault("scenario", "");
        Scenario scenario = scenarios.get(name);
        if (scenario == null || !args.containsKey("server") || !args.containsKey("root")) {
            System.err.println("usage: Interop --scenario " + scenarios.keySet() + " --server HOST:PORT --root PATH"
                + " [--proxy HOST:PORT --control HOST:PORT]");
            System.exit(2);
        }
        try {
            scenario.run(args);
        } catch (Throwable failure) {
            System.out.println("FAIL " + name + ": " + failure);
            failure.printStackTrace();
            System.exit(1);
        }
        System.out.println("PASS " + name);
        System.exit(0);
    }
}
