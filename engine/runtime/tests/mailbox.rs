//! Cross-core mail: a connection on one core triggers work delivered on another core, whose
//! answer comes back to the connection's core; mailboxes are bounded.

mod common;

use common::*;
use ringkeeper_engine::{
    BackendChoice, CloseReason, ConnId, CoreContext, Engine, Io, MailSender, Service,
    ServiceFactory,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

enum Mail {
    /// Asks the receiving core to say who it is, answering to `conn`.
    WhoAreYou { conn: ConnId },
    /// The answer, delivered on `conn`'s core.
    Answer { conn: ConnId, text: String },
    /// Filler for the capacity scenario.
    Noise,
    /// From outside the engine.
    External(String),
}

struct Relay {
    core_index: usize,
    mailboxes: Vec<MailSender<Mail>>,
    external: Arc<Mutex<Vec<(usize, String)>>>,
}

struct RelayFactory {
    external: Arc<Mutex<Vec<(usize, String)>>>,
}

impl ServiceFactory for RelayFactory {
    type Service = Relay;
    fn build(&self, core: &CoreContext<Mail>) -> Relay {
        Relay {
            core_index: core.core_index,
            mailboxes: core.mailboxes(),
            external: Arc::clone(&self.external),
        }
    }
}

impl Service for Relay {
    type Mail = Mail;
    fn on_accept(&mut self, _io: &mut Io<'_, Mail>, _conn: ConnId, _peer: SocketAddr) -> bool {
        true
    }
    fn on_recv(&mut self, io: &mut Io<'_, Mail>, conn: ConnId, bytes: &[u8]) {
        match bytes {
            b"relay" => {
                let other = (io.core_index() + 1) % io.cores();
                io.mailbox(other)
                    .try_send(Mail::WhoAreYou { conn })
                    .expect("mailbox has room");
            }
            b"fill" => {
                // The core's own mailbox cannot drain during this call: the capacity shows.
                let own = io.mailbox(io.core_index());
                let accepted = (0..100)
                    .take_while(|_| own.try_send(Mail::Noise).is_ok())
                    .count();
                let refused = own.try_send(Mail::Noise).unwrap_err();
                assert!(!refused.core_stopped);
                io.send(conn, format!("accepted {accepted}").as_bytes())
                    .unwrap();
            }
            other => panic!("unexpected request {other:?}"),
        }
    }
    fn on_closed(&mut self, _io: &mut Io<'_, Mail>, _conn: ConnId, _reason: CloseReason) {}
    fn on_mail(&mut self, io: &mut Io<'_, Mail>, mail: Mail) {
        match mail {
            Mail::WhoAreYou { conn } => {
                // "<connection's core>><answering core>"
                let text = format!("{}>{}", conn.core(), self.core_index);
                self.mailboxes[conn.core()]
                    .try_send(Mail::Answer { conn, text })
                    .expect("mailbox has room");
            }
            Mail::Answer { conn, text } => {
                assert_eq!(conn.core(), io.core_index());
                io.send(conn, text.as_bytes()).unwrap();
            }
            Mail::Noise => {}
            Mail::External(text) => self.external.lock().unwrap().push((io.core_index(), text)),
        }
    }
    fn on_tick(&mut self, _io: &mut Io<'_, Mail>) {}
    fn on_turn_end(&mut self, _io: &mut Io<'_, Mail>) {}
}

fn start_relay(backend: BackendChoice, mailbox_capacity: usize) -> (Engine, RelayFactory) {
    let mut config = config(backend);
    config.mailbox_capacity = mailbox_capacity;
    let external = Arc::new(Mutex::new(Vec::new()));
    let factory = RelayFactory {
        external: Arc::clone(&external),
    };
    let engine = Engine::start(config, factory).expect("engine starts");
    (engine, RelayFactory { external })
}

/// A request on core A is answered by core B through two mailboxes, whichever core accepted.
fn mail_from_one_core_is_delivered_on_another(backend: BackendChoice) {
    let (engine, _) = start_relay(backend, 64);
    for _ in 0..8 {
        let mut stream = connect(engine.local_addr());
        send(&mut stream, b"relay");
        let answer = String::from_utf8(read_exactly(&mut stream, 3)).unwrap();
        assert!(answer == "0>1" || answer == "1>0", "answered {answer:?}");
    }
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(mail_from_one_core_is_delivered_on_another);

/// A mailbox of capacity 4 takes 4 messages and refuses the 5th with MailboxFull.
fn full_mailbox_refuses_mail(backend: BackendChoice) {
    let (engine, _) = start_relay(backend, 4);
    let mut stream = connect(engine.local_addr());
    send(&mut stream, b"fill");
    assert_eq!(read_exactly(&mut stream, 10), b"accepted 4");
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(full_mailbox_refuses_mail);

/// A thread outside the engine mails each core; after shutdown its sender reports the core
/// stopped.
fn outside_thread_mails_every_core(backend: BackendChoice) {
    let (engine, factory) = start_relay(backend, 16);
    assert!(
        engine.mailbox::<String>(0).is_none(),
        "wrong mail type must not resolve"
    );
    let senders: Vec<MailSender<Mail>> = (0..engine.cores())
        .map(|core| engine.mailbox(core).unwrap())
        .collect();
    for (core, sender) in senders.iter().enumerate() {
        sender
            .try_send(Mail::External(format!("hello {core}")))
            .unwrap();
    }
    wait_until("every core received its mail", CLIENT_TIMEOUT, || {
        factory.external.lock().unwrap().len() == senders.len()
    });
    let mut received = factory.external.lock().unwrap().clone();
    received.sort();
    assert_eq!(received, vec![(0, "hello 0".into()), (1, "hello 1".into())]);
    engine.shutdown().expect("clean shutdown");
    let refused = senders[0].try_send(Mail::Noise).unwrap_err();
    assert!(refused.core_stopped);
}
on_both_backends!(outside_thread_mails_every_core);
