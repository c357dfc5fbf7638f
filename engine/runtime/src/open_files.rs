//! The process's open-files limit (RLIMIT_NOFILE): every connection, and every registered
//! io_uring file, is a file descriptor.

use std::io;

/// Lifts the soft RLIMIT_NOFILE to the hard limit and returns the soft limit now in force
/// (the old one when the raise is refused). Err only when the limit cannot be read.
pub fn raise_open_files_limit() -> io::Result<u64> {
    let mut limit = read_limit()?;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit with a valid rlimit struct.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    Ok(limit.rlim_cur)
}

/// The soft RLIMIT_NOFILE: how many file descriptors the process may hold.
pub(crate) fn open_files_limit() -> io::Result<u64> {
    read_limit().map(|limit| limit.rlim_cur)
}

fn read_limit() -> io::Result<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit into a valid rlimit struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raised_limit_is_in_force_and_within_the_hard_limit() {
        let before = read_limit().unwrap();
        let now = raise_open_files_limit().unwrap();
        assert!(before.rlim_cur <= now && now <= before.rlim_max);
        assert_eq!(open_files_limit().unwrap(), now, "the raise is in force");
    }
}
