//! The process's open-file limit, which bounds sockets as well as files: the gateway sizes its
//! connection cap from it so that a flood of clients cannot take the descriptors the
//! consensus port and the store need.

/// Raises the soft open-file limit (`RLIMIT_NOFILE`) to the hard limit, which an unprivileged
/// process may do. Returns the limit now in force. Call once at node start, before sockets
/// are opened; the gateway reads the limit when it starts serving.
#[cfg(unix)]
pub fn raise_open_file_limit() -> std::io::Result<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own and reads nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
        // SAFETY: setrlimit only reads the struct we pass.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        lim = raised;
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every platform
    Ok(lim.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> std::io::Result<u64> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "no open-file limit on this platform"))
}

/// The soft open-file limit in force, `None` where there is none (or it is unlimited).
#[cfg(unix)]
pub fn open_file_limit() -> Option<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own and reads nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 || lim.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every platform
    Some(lim.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn open_file_limit() -> Option<u64> {
    None
}

/// The connection cap: the configured maximum, lowered so that `reserved` descriptors of the
/// open-file limit stay free. When the limit is too small to leave `reserved` (a tiny
/// default of 1024), the gateway takes at most half of it. Never below 16.
pub(crate) fn connection_cap(configured: usize, reserved: usize, limit: Option<u64>) -> usize {
    let Some(limit) = limit else { return configured.max(16) };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let room = if limit > reserved.saturating_mul(2) { limit - reserved } else { limit / 2 };
    configured.min(room).max(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_leaves_room_for_the_rest_of_the_node() {
        assert_eq!(connection_cap(10_000, 1024, Some(1_048_576)), 10_000, "a large limit: the setting");
        assert_eq!(connection_cap(10_000, 1024, Some(20_000)), 10_000);
        assert_eq!(connection_cap(10_000, 1024, Some(4096)), 3072, "the limit minus the reserve");
        assert_eq!(connection_cap(10_000, 1024, Some(1024)), 512, "a tiny limit: half of it");
        assert_eq!(connection_cap(10_000, 1024, None), 10_000, "no limit: the setting");
        assert_eq!(connection_cap(0, 1024, Some(20)), 16, "never below 16");
    }

    #[test]
    fn the_raised_limit_is_the_one_in_force() {
        let raised = raise_open_file_limit().unwrap();
        match open_file_limit() {
            Some(limit) => assert_eq!(limit, raised),
            None => assert!(raised > u64::from(u32::MAX), "None only when unlimited, not {raised}"),
        }
    }
}
