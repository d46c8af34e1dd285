//! The appliance as a systemd service: the unit files (the appliance, its
//! backup, its first admin token and the Cloudflare Tunnel) pass
//! `systemd-analyze verify` and score an exposure of 3.0 or lower in
//! `systemd-analyze security`, and the real binary speaks the notify
//! protocol (`READY=1` once it serves, `STATUS=`, `WATCHDOG=1` while alive,
//! `STOPPING=1`) to a socket standing in for systemd's.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Appliance, BIN};

fn units() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd")
}

fn analyze_available() -> bool {
    Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The units with `ExecStart` pointing at the binary under test (verify
/// checks that the command exists).
fn units_for_test(dir: &Path) -> Vec<PathBuf> {
    let tunnel = Path::new(env!("CARGO_MANIFEST_DIR")).join("tunnel");
    [
        units().join("scoutly.service"),
        units().join("scoutly-backup.service"),
        tunnel.join("cloudflared-scoutly.service"),
        units().join("scoutly-admin-token.service"),
        units().join("scoutly-backup.timer"),
    ]
    .iter()
    .map(|source| {
        let text = std::fs::read_to_string(source).unwrap();
        let path = dir.join(source.file_name().unwrap());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/scoutly-admin-token");
        let text = text
            .replace(
                "/usr/lib/scoutly/admin-token",
                &script.display().to_string(),
            )
            .replace("/usr/bin/scoutly", BIN)
            .replace("/usr/bin/cloudflared", BIN);
        std::fs::write(&path, text).unwrap();
        path
    })
    .collect()
}

#[test]
fn unit_files_verify_and_are_hardened() {
    let service = std::fs::read_to_string(units().join("scoutly.service")).unwrap();
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "StateDirectory=scoutly",
        "RuntimeDirectory=scoutly",
        "ConfigurationDirectory=scoutly",
        "User=scoutly",
        // Chromium's JavaScript engine writes and runs code; a killed
        // browser child must not stop the appliance.
        "MemoryDenyWriteExecute=no",
        "OOMPolicy=continue",
    ] {
        assert!(service.contains(line), "scoutly.service lacks {line}");
    }
    let timer = std::fs::read_to_string(units().join("scoutly-backup.timer")).unwrap();
    assert!(timer.contains("Persistent=true"));
    if !analyze_available() {
        eprintln!("systemd-analyze is not installed: unit verification skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = units_for_test(dir.path());
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no", "--generators=no"])
        .args(&files)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "verify: {said}"
    );
    for unit in &files[..4] {
        let out = Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(unit)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let level: f64 = text
            .lines()
            .find_map(|l| l.split("Overall exposure level for ").nth(1))
            .and_then(|l| l.split(": ").nth(1))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no exposure level in:\n{text}"));
        assert!(
            level <= 3.0,
            "{}: exposure {level} > 3.0\n{text}",
            unit.display()
        );
    }
}

#[test]
fn the_service_manager_hears_ready_status_watchdog_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("notify");
    let manager = UnixDatagram::bind(&socket).unwrap();
    manager
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut app = Appliance::new();
    app.env
        .push(("NOTIFY_SOCKET".into(), socket.display().to_string()));
    // Rounds every 200 ms.
    app.env.push(("WATCHDOG_USEC".into(), "400000".into()));
    app.start();
    let next = || {
        let mut buf = [0u8; 4096];
        let n = manager
            .recv(&mut buf)
            .expect("a message from the appliance");
        String::from_utf8_lossy(&buf[..n]).to_string()
    };
    // READY comes first, and only once the server answers.
    let ready = next();
    assert!(
        ready.starts_with("READY=1\nSTATUS=serving on http://"),
        "{ready}"
    );
    let (code, _) = app.http("GET", "/healthz", None, None);
    assert_eq!(code, 200);
    // Then the watchdog, proven alive, with a one-line summary.
    let ping = next();
    assert!(ping.starts_with("WATCHDOG=1\nSTATUS="), "{ping}");
    assert!(
        ping.contains("running") && ping.contains("companies tracked"),
        "{ping}"
    );
    assert_eq!(ping.lines().count(), 2, "{ping}");
    assert!(next().starts_with("WATCHDOG=1"));
    assert_eq!(app.stop(), 0);
    // The process has exited: whatever it sent is already queued.
    let mut rest = Vec::new();
    manager.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    while let Ok(n) = manager.recv(&mut buf) {
        rest.push(String::from_utf8_lossy(&buf[..n]).to_string());
    }
    assert!(
        rest.iter().any(|m| m.starts_with("STOPPING=1")),
        "no STOPPING=1 in {rest:?}"
    );
}
