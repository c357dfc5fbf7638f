//! Bad input on the client port: one test per class, each checking the
//! server's answer (ZooKeeper's error code, or a closed connection) and
//! that another session carries on unharmed. Every test runs against each
//! server kind of `RK_TEST_SERVERS` (Apache ZooKeeper 3.8 and ringkeeper),
//! so the expected answers are ZooKeeper's own.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ringkeeper_jute::{
    CreateMode, ErrorCode, GetDataRequest, Jute, OpCode, RequestHeader, SetDataRequest,
};
use ringkeeper_testkit::{
    kinds_under_test, open_acl, Client, ClientError, ServerOptions, TestServer,
};

const WAIT: Duration = Duration::from_secs(5);

fn servers(extra: &[(&str, &str)]) -> Vec<TestServer> {
    servers_with(extra, &[])
}

/// `properties` are Java system properties for Apache ZooKeeper, which
/// ringkeeper reads from `SERVER_JVMFLAGS` as ZooKeeper's scripts pass them.
fn servers_with(extra: &[(&str, &str)], properties: &[(&str, &str)]) -> Vec<TestServer> {
    let pairs = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let options = ServerOptions {
        extra_cfg: pairs(extra),
        system_properties: pairs(properties),
        ..ServerOptions::default()
    };
    kinds_under_test()
        .into_iter()
        .map(|kind| TestServer::start(kind, &options).expect("server starts"))
        .collect()
}

/// A healthy session, created before the bad input, must still work after it.
fn bystander(server: &TestServer) -> Client {
    let mut c = Client::connect_new(server.addr()).expect("bystander connects");
    let _ = c.create("/bystander", b"v", &open_acl(), CreateMode::Persistent);
    c
}

fn still_works(server: &TestServer, c: &mut Client) {
    let (data, _) = c
        .get_data("/bystander", false)
        .unwrap_or_else(|e| panic!("{}: bystander session broken: {e:?}", server.kind().name()));
    assert_eq!(data, b"v");
    // ...and new sessions are still accepted.
    let fresh = Client::connect_new(server.addr()).expect("new session after bad input");
    fresh.close().expect("clean close");
}

/// Reads until the server closes the connection; returns what it sent.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("server did not close the connection: {e}"),
        }
    }
}

fn expect_closed(server: &TestServer, result: Result<ringkeeper_testkit::Reply, ClientError>) {
    match result {
        Err(ClientError::Closed) => {}
        other => panic!(
            "{}: expected the connection to be closed, got {other:?}",
            server.kind().name()
        ),
    }
}

#[test]
fn garbage_before_the_handshake_closes_that_connection_only() {
    for server in servers(&[]) {
        let mut ok = bystander(&server);
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let answer = read_until_closed(&mut s);
        assert!(answer.is_empty(), "{}: {answer:?}", server.kind().name());
        still_works(&server, &mut ok);
    }
}

#[test]
fn truncated_handshake_closes_that_connection_only() {
    for server in servers(&[]) {
        let mut ok = bystander(&server);
        let mut s = TcpStream::connect(server.addr()).unwrap();
        // A frame of 6 bytes cannot hold a ConnectRequest.
        s.write_all(&[0, 0, 0, 6, 0, 0, 0, 0, 0, 0]).unwrap();
        let answer = read_until_closed(&mut s);
        assert!(answer.is_empty(), "{}: {answer:?}", server.kind().name());
        still_works(&server, &mut ok);
    }
}

#[test]
fn frame_over_jute_maxbuffer_closes_that_connection_only() {
    for server in servers_with(&[], &[("jute.maxbuffer", "4096")]) {
        let mut ok = bystander(&server);
        let mut c = Client::connect_new(server.addr()).unwrap();
        let request = SetDataRequest {
            path: "/bystander".into(),
            data: vec![b'x'; 8192].into(),
            version: -1,
        };
        let xid = c.send(OpCode::SetData, Some(&request)).unwrap();
        expect_closed(&server, c.read_reply(xid));
        still_works(&server, &mut ok);
    }
}

#[test]
fn negative_frame_length_closes_that_connection_only() {
    for server in servers(&[]) {
        let mut ok = bystander(&server);
        let mut c = Client::connect_new(server.addr()).unwrap();
        c.send_raw(&(-5i32).to_be_bytes()).unwrap();
        expect_closed(&server, c.read_any_reply(WAIT));
        still_works(&server, &mut ok);
    }
}

#[test]
fn truncated_request_body_gets_marshalling_error_or_close() {
    for server in servers(&[]) {
        let mut ok = bystander(&server);
        let mut c = Client::connect_new(server.addr()).unwrap();
        // getData whose path claims 100 bytes but carries 3.
        let mut payload = Vec::new();
        RequestHeader {
            xid: 7,
            op_code: OpCode::GetData as i32,
        }
        .encode(&mut payload);
        payload.extend_from_slice(&100i32.to_be_bytes());
        payload.extend_from_slice(b"/ab");
        let mut frame = (payload.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(&payload);
        c.send_raw(&frame).unwrap();
        match c.read_any_reply(WAIT) {
            Ok(reply) => {
                assert_eq!(reply.xid, 7);
                assert_eq!(
                    reply.err,
                    ErrorCode::MarshallingError as i32,
                    "{}",
                    server.kind().name()
                );
            }
            Err(ClientError::Closed) => {}
            Err(e) => panic!("{}: {e:?}", server.kind().name()),
        }
        still_works(&server, &mut ok);
    }
}

#[test]
fn unknown_op_code_is_answered_unimplemented() {
    for server in servers(&[]) {
        let mut ok = bystander(&server);
        let mut c = Client::connect_new(server.addr()).unwrap();
        let mut payload = Vec::new();
        RequestHeader {
            xid: 9,
            op_code: 999,
        }
        .encode(&mut payload);
        let mut frame = (payload.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(&payload);
        c.send_raw(&frame).unwrap();
        let reply = c
            .read_any_reply(WAIT)
            .unwrap_or_else(|e| panic!("{}: {e:?}", server.kind().name()));
        assert_eq!(reply.xid, 9);
        assert_eq!(
            reply.err,
            ErrorCode::Unimplemented as i32,
            "{}",
            server.kind().name()
        );
        still_works(&server, &mut ok);
    }
}

#[test]
fn invalid_paths_are_bad_arguments() {
    for server in servers(&[]) {
        let mut ok = bystander(&server);
        let mut c = Client::connect_new(server.addr()).unwrap();
        // ZooKeeper looks up the parent before it validates the name, so
        // a path whose parent is missing is NoNode, not BadArguments.
        let cases = [
            ("", ErrorCode::BadArguments),
            ("no-slash", ErrorCode::BadArguments),
            ("/bystander//b", ErrorCode::NoNode),
            ("/bystander/", ErrorCode::BadArguments),
            ("/bystander/.", ErrorCode::BadArguments),
            ("/bystander/..", ErrorCode::BadArguments),
            ("/bystander/a\u{0}b", ErrorCode::BadArguments),
        ];
        for (path, want) in cases {
            let err = c
                .create(path, b"", &open_acl(), CreateMode::Persistent)
                .expect_err(&format!(
                    "{}: create {path:?} refused",
                    server.kind().name()
                ));
            assert_eq!(
                err.code(),
                Some(want),
                "{}: create {path:?}: {err:?}",
                server.kind().name()
            );
        }
        let request = GetDataRequest {
            path: "a/b".into(),
            watch: false,
        };
        let xid = c.send(OpCode::GetData, Some(&request)).unwrap();
        let reply = c
            .read_reply(xid)
            .expect("a read of a relative path is answered");
        // ZooKeeper validates paths of writes only; a read just finds nothing.
        assert_eq!(
            reply.err,
            ErrorCode::NoNode as i32,
            "{}: getData of a relative path",
            server.kind().name()
        );
        still_works(&server, &mut ok);
    }
}

#[test]
fn four_letter_word_outside_the_whitelist_is_refused() {
    for server in servers(&[("4lw.commands.whitelist", "srvr,ruok")]) {
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.write_all(b"stat").unwrap();
        let answer = String::from_utf8(read_until_closed(&mut s)).unwrap();
        assert_eq!(
            answer,
            "stat is not executed because it is not in the whitelist.\n",
            "{}",
            server.kind().name()
        );
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.write_all(b"srvr").unwrap();
        let answer = String::from_utf8(read_until_closed(&mut s)).unwrap();
        assert!(answer.contains("Mode: standalone"), "{answer}");
    }
}

#[test]
fn connections_over_max_client_cnxns_are_closed() {
    for server in servers(&[("maxClientCnxns", "3")]) {
        let mut held: Vec<Client> = (0..3)
            .map(|_| Client::connect_new(server.addr()).expect("within the limit"))
            .collect();
        let over = Client::connect_new(server.addr());
        assert!(
            over.is_err(),
            "{}: a 4th connection from one IP must be refused",
            server.kind().name()
        );
        // The three held sessions carry on.
        for c in &mut held {
            c.exists("/", false).expect("held session works");
        }
        drop(held.pop());
        std::thread::sleep(Duration::from_millis(300));
        let again = Client::connect_new(server.addr()).expect("a freed slot is usable again");
        again.close().unwrap();
    }
}
