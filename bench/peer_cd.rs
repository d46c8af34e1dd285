//! Driving changedetection.io (the peer) for the side-by-side benchmark:
//! a fresh datastore seeded with an API key and the check settings, the
//! process started on a loopback port, watches added and resumed through
//! its REST API (`/api/v1`, header `x-api-key`).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::common;

const KEY: &str = "benchkey";
/// The User-Agent it is given, so the farm's log tells its requests apart.
pub const AGENT: &str = "changedetection.io-bench";

pub struct Peer {
    child: Child,
    pub addr: SocketAddr,
    _store: tempfile::TempDir,
}

impl Peer {
    /// Start `bin` (changedetection.py) with `workers` fetch workers and
    /// every watch checked each `interval` seconds (no jitter).
    pub fn start(bin: &str, workers: usize, interval: u64) -> Peer {
        let store = tempfile::tempdir().unwrap();
        // Seeding the datastore keeps out its example watches and fixes the
        // API key; schema_version is the current one, so nothing migrates.
        let seed = json!({"app_guid": "bench", "settings": {
            "application": {"schema_version": 33, "api_access_token": KEY, "api_access_token_enabled": true},
            "requests": {"time_between_check": {"weeks": null, "days": null, "hours": null, "minutes": null, "seconds": interval},
                         "jitter_seconds": 0, "workers": workers}}});
        std::fs::write(store.path().join("changedetection.json"), seed.to_string()).unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(bin)
            .args(["-d", store.path().to_str().unwrap(), "-h", "127.0.0.1"])
            .args(["-p", &port.to_string(), "-l", "WARNING"])
            .env("FETCH_WORKERS", workers.to_string())
            .env("LOGURU_LEVEL", "WARNING")
            // Its fetcher and notifier refuse loopback addresses without this.
            .env("ALLOW_IANA_RESTRICTED_ADDRESSES", "true")
            .env("DISABLE_VERSION_CHECK", "yes")
            .env("DEFAULT_SETTINGS_HEADERS_USERAGENT", AGENT)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let peer = Peer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _store: store,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(peer.addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "changedetection.io did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        peer
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let headers = [("x-api-key".to_string(), KEY.to_string())];
        let body = body.map(Value::to_string);
        let (code, _, v) = common::request(self.addr, method, path, &headers, body.as_deref());
        (code, v)
    }

    /// Add a paused watch of `url` notifying `hook` (a JSON POST whose
    /// message is the watched URL); returns its id.
    pub fn add(&self, url: &str, hook: &str) -> String {
        let hook = hook.replace("http://", "json://");
        let (code, v) = self.call(
            "POST",
            "/api/v1/watch",
            Some(
                &json!({"url": url, "paused": true, "notification_urls": [hook],
                         "notification_title": "change", "notification_body": "{{watch_url}}",
                         "notification_format": "text"}),
            ),
        );
        assert_eq!(code, 201, "adding a watch of {url}: {v}");
        v["uuid"].as_str().unwrap().to_string()
    }

    pub fn resume(&self, uuid: &str) {
        let (code, v) = self.call(
            "GET",
            &format!("/api/v1/watch/{uuid}?paused=unpaused"),
            None,
        );
        assert_eq!(code, 200, "resuming watch {uuid}: {v}");
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}
