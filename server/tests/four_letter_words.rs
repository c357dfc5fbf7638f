//! The four-letter words answer in ZooKeeper's formats: the same checks
//! run against Apache ZooKeeper 3.8 (which proves they describe its output)
//! and ringkeeper. One session holds an ephemeral node and a data watch so
//! the session, watch and ephemeral reports have something to show.

use ringkeeper_jute::CreateMode;
use ringkeeper_testkit::{kinds_under_test, open_acl, Client, ServerOptions, TestServer};

fn lines_with_prefix<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn every_four_letter_word_answers_in_zookeepers_format() {
    for server in kinds_under_test()
        .into_iter()
        .map(|k| TestServer::start(k, &ServerOptions::default()).unwrap())
    {
        let name = server.kind().name();
        let mut c = Client::connect_new(server.addr()).unwrap();
        let sid = format!("0x{:x}", c.session_id());
        c.create("/flw", b"x", &open_acl(), CreateMode::Ephemeral)
            .unwrap();
        c.get_data("/flw", true).unwrap();
        let word = |w: &str| server.four_letter(w).unwrap();

        assert_eq!(word("ruok"), "imok", "{name}");
        assert_eq!(word("isro"), "rw", "{name}");

        let srvr = word("srvr");
        for prefix in [
            "Zookeeper version: ",
            "Latency min/avg/max: ",
            "Received: ",
            "Sent: ",
            "Connections: ",
            "Outstanding: ",
            "Zxid: 0x",
            "Mode: standalone",
            "Node count: ",
        ] {
            assert_eq!(
                lines_with_prefix(&srvr, prefix).len(),
                1,
                "{name} srvr {prefix:?}:\n{srvr}"
            );
        }
        assert!(
            srvr.contains("Node count: 6\n"),
            "{name}: 5 nodes + /flw, root counted twice:\n{srvr}"
        );

        let stat = word("stat");
        assert!(stat.contains("\nClients:\n /127.0.0.1:"), "{name}:\n{stat}");
        assert!(stat.contains("Mode: standalone"), "{name}:\n{stat}");

        let mntr = word("mntr");
        for key in [
            "zk_version",
            "zk_server_state",
            "zk_znode_count",
            "zk_watch_count",
            "zk_ephemerals_count",
            "zk_num_alive_connections",
            "zk_packets_received",
            "zk_packets_sent",
            "zk_approximate_data_size",
            "zk_outstanding_requests",
            "zk_global_sessions",
        ] {
            assert_eq!(
                lines_with_prefix(&mntr, &format!("{key}\t")).len(),
                1,
                "{name} mntr {key}:\n{mntr}"
            );
        }
        assert!(mntr.contains("zk_server_state\tstandalone\n"), "{name}");
        assert!(mntr.contains("zk_ephemerals_count\t1\n"), "{name}:\n{mntr}");
        assert!(mntr.contains("zk_watch_count\t1\n"), "{name}:\n{mntr}");
        assert!(mntr.contains("zk_global_sessions\t1\n"), "{name}:\n{mntr}");

        let cons = word("cons");
        let ours: Vec<&str> = cons
            .lines()
            .filter(|l| l.contains(&format!("sid={sid},")))
            .collect();
        assert_eq!(ours.len(), 1, "{name} cons:\n{cons}");
        for field in [
            "queued=", "recved=", "sent=", "lop=", "est=", "to=", "lcxid=0x", "lzxid=0x",
        ] {
            assert!(ours[0].contains(field), "{name} cons {field}:\n{cons}");
        }
        assert!(
            cons.ends_with("\n\n"),
            "{name}: cons ends with an empty line"
        );

        assert_eq!(
            word("wchs"),
            "1 connections watching 1 paths\nTotal watches:1\n",
            "{name}"
        );
        assert_eq!(word("wchc"), format!("{sid}\n\t/flw\n\n"), "{name}");
        assert_eq!(word("wchp"), format!("/flw\n\t{sid}\n\n"), "{name}");

        let dump = word("dump");
        assert!(
            dump.starts_with("SessionTracker dump:\n"),
            "{name}:\n{dump}"
        );
        assert!(dump.contains(&format!("\t{sid}\n")), "{name}:\n{dump}");
        assert!(
            dump.contains("Sessions with Ephemerals (1):\n"),
            "{name}:\n{dump}"
        );
        assert!(
            dump.contains(&format!("{sid}:\n\t/flw\n")),
            "{name}:\n{dump}"
        );

        let conf = word("conf");
        assert!(
            conf.contains(&format!("clientPort={}\n", server.addr().port())),
            "{name}:\n{conf}"
        );
        assert!(conf.contains("tickTime=2000\n"), "{name}:\n{conf}");
        assert!(
            conf.contains("maxSessionTimeout=40000\n"),
            "{name}:\n{conf}"
        );

        assert!(word("envi").starts_with("Environment:\n"), "{name}");
        let dirs = word("dirs");
        assert!(
            dirs.starts_with("datadir_size: ") && dirs.contains("\nlogdir_size: "),
            "{name}: {dirs}"
        );
        assert_eq!(word("crst"), "Connection stats reset.\n", "{name}");
        assert_eq!(word("srst"), "Server stats reset.\n", "{name}");
    }
}
