//! `FaultProxy`: a loopback TCP proxy between ZooKeeper clients and a server that cuts the line
//! on command, so a test can lose a client's connection without the client closing its session.
//!
//! ```text
//! client --> proxy.addr() --> upstream server        (line open: bytes forwarded both ways)
//!
//! partition: every link goes silent (bytes read and dropped both ways, sockets kept open), and
//!            links accepted meanwhile are held silent too: the client's pings go unanswered and
//!            the server hears nothing, as in a network partition (the session expires).
//! drop:      every link is closed at once (the client sees the connection end) and links
//!            accepted meanwhile are held silent: the client cannot reconnect until `heal`.
//! heal:      silent links are closed (their byte streams lost data) and new links are forwarded.
//! ```
//!
//! Scripts in other languages steer the same proxy through `control_addr()`: connect, send one
//! line (`partition`, `drop` or `heal`), read `ok` or `error: ...`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Links (client connections) the proxy carries at once; more are closed at accept.
pub const PROXY_LINKS_MAX: usize = 256;
/// Bytes read per `read` call in a pump.
const PUMP_BUFFER_BYTES: usize = 64 * 1024;
/// Longest control command line accepted.
const CONTROL_LINE_BYTES_MAX: u64 = 64;
/// How long a control connection may take to send its command.
const CONTROL_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long connecting to the upstream server may take.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What the proxy does with bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineState {
    /// Links are forwarded.
    Open,
    /// Links are held silent until `heal`.
    Partitioned,
}

/// See the module documentation.
pub struct FaultProxy {
    listen_addr: SocketAddr,
    control_addr: SocketAddr,
    shared: Arc<Shared>,
    acceptors: Vec<JoinHandle<()>>,
}

struct Shared {
    upstream_addr: SocketAddr,
    stopping: AtomicBool,
    state: Mutex<ProxyState>,
}

struct ProxyState {
    line: LineState,
    links: Vec<Link>,
    links_accepted: u64,
}

/// One client connection and, when forwarded, its server connection.
struct Link {
    client: TcpStream,
    server: Option<TcpStream>,
    silent: Arc<AtomicBool>,
    pumps: Vec<JoinHandle<()>>,
}

impl Link {
    fn close(&self) {
        // Errors mean the socket is already shut: nothing left to do.
        let _ = self.client.shutdown(Shutdown::Both);
        if let Some(server) = &self.server {
            let _ = server.shutdown(Shutdown::Both);
        }
    }

    fn finished(&self) -> bool {
        self.pumps.iter().all(JoinHandle::is_finished)
    }
}

impl FaultProxy {
    /// Listens on two free loopback ports (clients, control) and forwards to `upstream_addr`.
    pub fn start(upstream_addr: SocketAddr) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let control = TcpListener::bind(("127.0.0.1", 0))?;
        let listen_addr = listener.local_addr()?;
        let control_addr = control.local_addr()?;
        let shared = Arc::new(Shared {
            upstream_addr,
            stopping: AtomicBool::new(false),
            state: Mutex::new(ProxyState {
                line: LineState::Open,
                links: Vec::new(),
                links_accepted: 0,
            }),
        });
        let accept_shared = Arc::clone(&shared);
        let control_shared = Arc::clone(&shared);
        let acceptors = vec![
            thread::Builder::new()
                .name("fault-proxy-accept".into())
                .spawn(move || accept_links(&accept_shared, listener))?,
            thread::Builder::new()
                .name("fault-proxy-control".into())
                .spawn(move || accept_control(&control_shared, control))?,
        ];
        Ok(FaultProxy {
            listen_addr,
            control_addr,
            shared,
            acceptors,
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.listen_addr
    }

    /// `127.0.0.1:port` of `addr()`, as a ZooKeeper connect string.
    pub fn connect_string(&self) -> String {
        self.listen_addr.to_string()
    }

    /// Where scripts send `partition`, `drop` or `heal` lines.
    pub fn control_addr(&self) -> SocketAddr {
        self.control_addr
    }

    /// Every link goes silent, new links are held silent: see the module documentation.
    pub fn partition(&self) {
        self.shared.partition();
    }

    /// Every link is closed now, new links are held silent: see the module documentation.
    pub fn drop_links(&self) {
        self.shared.drop_links();
    }

    /// Silent links are closed and new links are forwarded again.
    pub fn heal(&self) {
        self.shared.heal();
    }

    pub fn line_state(&self) -> LineState {
        self.shared.lock().line
    }

    /// Client connections accepted so far (a reconnect is a new one).
    pub fn links_accepted(&self) -> u64 {
        self.shared.lock().links_accepted
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake both blocking accepts; a refused connect means the listener is gone already.
        let _ = TcpStream::connect_timeout(&self.listen_addr, Duration::from_secs(1));
        let _ = TcpStream::connect_timeout(&self.control_addr, Duration::from_secs(1));
        for acceptor in self.acceptors.drain(..) {
            let _ = acceptor.join();
        }
        let links = std::mem::take(&mut self.shared.lock().links);
        for link in &links {
            link.close();
        }
        for link in links {
            for pump in link.pumps {
                let _ = pump.join();
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ProxyState> {
        // A pump thread never panics while holding the lock (it only pushes and retains), so a
        // poisoned lock still holds consistent state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn partition(&self) {
        let mut state = self.lock();
        state.line = LineState::Partitioned;
        for link in &state.links {
            link.silent.store(true, Ordering::SeqCst);
        }
    }

    fn drop_links(&self) {
        let mut state = self.lock();
        state.line = LineState::Partitioned;
        for link in &state.links {
            link.silent.store(true, Ordering::SeqCst);
            link.close();
        }
    }

    fn heal(&self) {
        let mut state = self.lock();
        state.line = LineState::Open;
        for link in &state.links {
            if link.silent.load(Ordering::SeqCst) {
                link.close();
            }
        }
    }

    fn apply_command(&self, command: &str) -> Result<(), String> {
        match command {
            "partition" => self.partition(),
            "drop" => self.drop_links(),
            "heal" => self.heal(),
            other => return Err(format!("unknown command {other:?} (partition, drop, heal)")),
        }
        Ok(())
    }
}

fn accept_links(shared: &Arc<Shared>, listener: TcpListener) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if let Err(error) = open_link(shared, client) {
            eprintln!("fault proxy: link not opened: {error}");
        }
    }
}

fn open_link(shared: &Arc<Shared>, client: TcpStream) -> io::Result<()> {
    let mut state = shared.lock();
    state.links.retain(|link| !link.finished());
    if state.links.len() >= PROXY_LINKS_MAX {
        let _ = client.shutdown(Shutdown::Both);
        return Err(io::Error::other(format!(
            "PROXY_LINKS_MAX ({PROXY_LINKS_MAX}) links open"
        )));
    }
    state.links_accepted += 1;
    client.set_nodelay(true)?;
    let silent = Arc::new(AtomicBool::new(state.line == LineState::Partitioned));
    let (server, pumps) = if silent.load(Ordering::SeqCst) {
        // Held silent: read what the client sends and drop it, never reach the server.
        let reader = client.try_clone()?;
        (None, vec![spawn_pump(reader, None, Arc::clone(&silent))?])
    } else {
        let server = TcpStream::connect_timeout(&shared.upstream_addr, UPSTREAM_CONNECT_TIMEOUT)?;
        server.set_nodelay(true)?;
        let upward = spawn_pump(
            client.try_clone()?,
            Some(server.try_clone()?),
            Arc::clone(&silent),
        )?;
        let downward = spawn_pump(
            server.try_clone()?,
            Some(client.try_clone()?),
            Arc::clone(&silent),
        )?;
        (Some(server), vec![upward, downward])
    };
    state.links.push(Link {
        client,
        server,
        silent,
        pumps,
    });
    Ok(())
}

fn spawn_pump(
    from: TcpStream,
    to: Option<TcpStream>,
    silent: Arc<AtomicBool>,
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("fault-proxy-pump".into())
        .spawn(move || pump(from, to, &silent))
}

/// Copies `from` to `to` until either side ends; drops the bytes while the link is silent.
fn pump(mut from: TcpStream, mut to: Option<TcpStream>, silent: &AtomicBool) {
    let mut buffer = vec![0u8; PUMP_BUFFER_BYTES];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if silent.load(Ordering::SeqCst) {
            continue;
        }
        let Some(to) = to.as_mut() else { continue };
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    // A silent link stays open on the other side (a partition shows no close); `heal` or
    // `drop` closes it. A forwarded link ends on both sides together.
    if !silent.load(Ordering::SeqCst) {
        let _ = from.shutdown(Shutdown::Both);
        if let Some(to) = to {
            let _ = to.shutdown(Shutdown::Both);
        }
    }
}

fn accept_control(shared: &Arc<Shared>, control: TcpListener) {
    for stream in control.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if let Err(error) = serve_control(shared, stream) {
            eprintln!("fault proxy: control connection failed: {error}");
        }
    }
}

fn serve_control(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(CONTROL_READ_TIMEOUT))?;
    let mut reply_to = stream.try_clone()?;
    let mut line = String::new();
    BufReader::new(stream)
        .take(CONTROL_LINE_BYTES_MAX)
        .read_line(&mut line)?;
    let reply = match shared.apply_command(line.trim()) {
        Ok(()) => "ok\n".to_string(),
        Err(error) => format!("error: {error}\n"),
    };
    reply_to.write_all(reply.as_bytes())
}
