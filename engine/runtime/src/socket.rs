//! The few socket calls the engine makes outside a backend's I/O: listeners, addresses,
//! options (TCP_NODELAY on every connection taken, SO_LINGER for a reset on close).

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// A nonblocking listening socket on `address` with SO_REUSEADDR and SO_REUSEPORT: every core
/// binds one to the same address and the kernel spreads incoming connections across them.
pub(crate) fn reuseport_listener(address: SocketAddr, backlog: u32) -> io::Result<OwnedFd> {
    let fd = tcp_socket(address)?;
    set_int_option(&fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    set_int_option(&fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
    bind(&fd, address)?;
    // SAFETY: listen(2) on our socket.
    if unsafe { libc::listen(fd.as_raw_fd(), backlog as libc::c_int) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// How long start-up waits for a listener on its address to go away before it fails with
/// EADDRINUSE. A server killed with SIGKILL does not close its listeners itself: the kernel
/// closes the ones its io_uring holds (multishot accepts) in the ring's teardown, a few
/// milliseconds after the process is gone, so an immediate restart (systemd, a supervisor)
/// would otherwise fail for no lasting reason.
pub const ADDRESS_IN_USE_WAIT_MS: u64 = 2_000;
const ADDRESS_IN_USE_RETRY_MS: u64 = 20;

/// Fails with EADDRINUSE when something still listens on `address` after
/// [`ADDRESS_IN_USE_WAIT_MS`]. SO_REUSEPORT would otherwise let a second server of the same user
/// share the port silently; this probe binds without it, so any listener present makes it fail.
pub(crate) fn check_address_free(address: SocketAddr) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_millis(ADDRESS_IN_USE_WAIT_MS);
    // A failed bind leaves the socket unbound: the same one tries again.
    let fd = tcp_socket(address)?;
    set_int_option(&fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    loop {
        let error = match bind(&fd, address) {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        if error.kind() != io::ErrorKind::AddrInUse {
            return Err(io::Error::new(error.kind(), format!("{address}: {error}")));
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                error.kind(),
                format!("{address}: {error} (still in use after {ADDRESS_IN_USE_WAIT_MS} ms)"),
            ));
        }
        std::thread::sleep(Duration::from_millis(ADDRESS_IN_USE_RETRY_MS));
    }
}

fn tcp_socket(address: SocketAddr) -> io::Result<OwnedFd> {
    let domain = match address {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: plain socket(2); the result is checked.
    let fd = unsafe {
        libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn bind(fd: &OwnedFd, address: SocketAddr) -> io::Result<()> {
    let (storage, len) = to_sockaddr(address);
    // SAFETY: `storage` holds a sockaddr of `len` bytes for the socket's family.
    let result = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&storage as *const libc::sockaddr_storage).cast(),
            len,
        )
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub(crate) fn set_int_option(
    fd: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: setsockopt with a c_int value of the right size.
    let result = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Small requests and replies must not wait for Nagle. Failure is harmless (latency only).
pub(crate) fn set_nodelay(fd: &impl AsRawFd) {
    let _ = set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1);
}

/// Makes the coming close(2) send a reset and drop unsent bytes (SO_LINGER with 0 s).
pub(crate) fn set_reset_on_close(fd: &impl AsRawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt with a `linger` value of the right size; failure leaves a FIN close.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
}

/// The pending socket error (SO_ERROR), 0 when none.
pub(crate) fn take_socket_error(fd: RawFd) -> i32 {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt into a c_int with its size.
    let result = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if result < 0 {
        return io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
    }
    value
}

pub(crate) fn local_addr(fd: &impl AsRawFd) -> io::Result<SocketAddr> {
    address_of(fd.as_raw_fd(), libc::getsockname)
}

pub(crate) fn peer_addr(fd: &impl AsRawFd) -> io::Result<SocketAddr> {
    address_of(fd.as_raw_fd(), libc::getpeername)
}

type AddressCall =
    unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int;

fn address_of(fd: RawFd, call: AddressCall) -> io::Result<SocketAddr> {
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: the call writes at most `len` bytes into `storage`.
    let result = unsafe {
        call(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    from_sockaddr(&storage).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "socket address of an unknown family",
        )
    })
}

pub(crate) fn from_sockaddr(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let v4 =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr)),
                u16::from_be(v4.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let v6 = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(v6.sin6_addr.s6_addr),
                u16::from_be(v6.sin6_port),
                v6.sin6_flowinfo,
                v6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

fn to_sockaddr(address: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match address {
        SocketAddr::V4(v4) => {
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            let out = unsafe {
                &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            out.sin_family = libc::AF_INET as libc::sa_family_t;
            out.sin_port = v4.port().to_be();
            out.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v6) => {
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            let out = unsafe {
                &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            out.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            out.sin6_port = v6.port().to_be();
            out.sin6_addr.s6_addr = v6.ip().octets();
            out.sin6_flowinfo = v6.flowinfo();
            out.sin6_scope_id = v6.scope_id();
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_round_trip_through_sockaddr() {
        for text in ["127.0.0.1:2181", "[::1]:9", "10.1.2.3:65535"] {
            let address: SocketAddr = text.parse().unwrap();
            let (storage, _) = to_sockaddr(address);
            assert_eq!(from_sockaddr(&storage), Some(address));
        }
    }
}
