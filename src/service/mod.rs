//! Talking to the service manager (systemd): `READY=1` once the store is
//! open and the server bound, `STATUS=` with a one-line summary,
//! `WATCHDOG=1` only while the appliance proves it is alive
//! ([`watchdog`]), `STOPPING=1` at shutdown.
//!
//! The protocol is one datagram per message to the unix socket named in
//! `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). Outside
//! systemd the variable is unset and every call does nothing. A message
//! that cannot be sent is logged once and never stops the appliance.

pub mod watchdog;

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::config::Env;

/// The service manager's socket, if the appliance runs under one.
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
    warned: AtomicBool,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID`.
    pub fn from_env(env: &dyn Env) -> Notifier {
        let target = env.var("NOTIFY_SOCKET").and_then(|path| {
            let addr = match path.strip_prefix('@') {
                Some(name) => {
                    use std::os::linux::net::SocketAddrExt;
                    SocketAddr::from_abstract_name(name.as_bytes())
                }
                None => SocketAddr::from_pathname(&path),
            };
            match (addr, UnixDatagram::unbound()) {
                (Ok(addr), Ok(sock)) => Some((sock, addr)),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(socket = %path, error = %e, "cannot use $NOTIFY_SOCKET; the service manager will not hear from the appliance");
                    None
                }
            }
        });
        // The watchdog is ours unless it names another process.
        let ours = env
            .var("WATCHDOG_PID")
            .is_none_or(|p| p.trim() == std::process::id().to_string());
        let watchdog = env
            .var("WATCHDOG_USEC")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|us| *us > 0 && ours)
            .map(Duration::from_micros);
        Notifier {
            target,
            watchdog,
            warned: AtomicBool::new(false),
        }
    }

    /// Not under a service manager.
    pub fn none() -> Notifier {
        Notifier {
            target: None,
            watchdog: None,
            warned: AtomicBool::new(false),
        }
    }

    /// The watchdog's timeout (`WatchdogSec=`), when one is set.
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }

    /// Send one message (`KEY=value` lines).
    pub fn send(&self, message: &str) {
        let Some((sock, addr)) = &self.target else {
            return;
        };
        if let Err(e) = sock.send_to_addr(message.as_bytes(), addr)
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(error = %e, "cannot reach the service manager's socket");
        }
    }

    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={}", one_line(status)));
    }

    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={}", one_line(status)));
    }

    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping: finishing in-flight jobs");
    }
}

/// A status fits one line.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MapEnv;

    fn env(pairs: &[(&str, &str)]) -> MapEnv {
        MapEnv::of(pairs)
    }

    #[test]
    fn messages_reach_the_socket_named_in_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let n = Notifier::from_env(&env(&[
            ("NOTIFY_SOCKET", path.to_str().unwrap()),
            ("WATCHDOG_USEC", "30000000"),
        ]));
        assert_eq!(n.watchdog(), Some(Duration::from_secs(30)));
        n.ready("3 running\n2 waiting");
        let mut buf = [0u8; 256];
        let len = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1\nSTATUS=3 running 2 waiting");
    }

    #[test]
    fn a_watchdog_for_another_process_is_not_ours_and_no_socket_is_quiet() {
        let n = Notifier::from_env(&env(&[
            ("WATCHDOG_USEC", "30000000"),
            ("WATCHDOG_PID", "1"),
        ]));
        assert_eq!(n.watchdog(), None);
        n.ready("nothing listens");
        assert_eq!(Notifier::none().watchdog(), None);
    }
}
