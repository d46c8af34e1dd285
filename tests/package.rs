//! The Debian package (`packaging/build-deb`, plain dpkg-deb) built around
//! the binary under test: its control fields, its files, its conffiles,
//! maintainer scripts that parse, and a default config the binary accepts.

mod common;

use std::path::Path;
use std::process::Command;

use common::BIN;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn the_debian_package_installs_binary_units_config_and_user() {
    if Command::new("dpkg-deb").arg("--version").output().is_err() {
        eprintln!("dpkg-deb is not installed: package test skipped");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let deb = run(Command::new(root.join("packaging/build-deb"))
        // Uncompressed: the debug binary is large and xz would take minutes.
        .args([
            "--binary",
            BIN,
            "--arch",
            "arm64",
            "--compress",
            "none",
            "--out",
        ])
        .arg(out.path()));
    let deb = deb.trim();
    assert!(deb.ends_with("_arm64.deb"), "{deb}");

    let field = |name: &str| run(Command::new("dpkg-deb").args(["--field", deb, name]));
    assert_eq!(field("Package").trim(), "scoutly");
    assert_eq!(field("Version").trim(), env!("CARGO_PKG_VERSION"));
    assert_eq!(field("Recommends").trim(), "chromium");
    assert!(field("Depends").contains("libc6"));
    // HTTPS scraping verifies against the system's CA certificates.
    assert!(field("Depends").contains("ca-certificates"));

    let contents = run(Command::new("dpkg-deb").args(["--contents", deb]));
    for path in [
        "./usr/bin/scoutly",
        "./lib/systemd/system/scoutly.service",
        "./lib/systemd/system/scoutly-backup.service",
        "./lib/systemd/system/scoutly-backup.timer",
        "./lib/systemd/system/scoutly-admin-token.service",
        "./usr/lib/scoutly/admin-token",
        "./etc/scoutly/scoutly.toml",
        "./etc/update-motd.d/50-scoutly",
        "./etc/profile.d/scoutly.sh",
        "./usr/lib/sysusers.d/scoutly.conf",
        "./usr/share/doc/scoutly/copyright",
        "./etc/issue.d/scoutly.issue -> /run/scoutly-issue/scoutly.issue",
    ] {
        assert!(contents.contains(path), "{path} missing:\n{contents}");
    }
    assert!(
        contents.contains("root/root"),
        "files belong to root:\n{contents}"
    );

    let control = out.path().join("control");
    run(Command::new("dpkg-deb")
        .args(["--control", deb])
        .arg(&control));
    let conffiles = std::fs::read_to_string(control.join("conffiles")).unwrap();
    assert!(conffiles.contains("/etc/scoutly/scoutly.toml"));
    for script in ["postinst", "prerm", "postrm"] {
        run(Command::new("sh").arg("-n").arg(control.join(script)));
    }
    let postinst = std::fs::read_to_string(control.join("postinst")).unwrap();
    assert!(postinst.contains("deb-systemd-helper enable scoutly.service"));

    let files = out.path().join("files");
    run(Command::new("dpkg-deb")
        .args(["--extract", deb])
        .arg(&files));
    // The packaged config is the binary's own default (taken from the
    // source, as the binary may be another architecture's), and it validates.
    let packaged = files.join("etc/scoutly/scoutly.toml");
    let default = run(Command::new(BIN).args(["config", "default"]));
    assert_eq!(std::fs::read_to_string(&packaged).unwrap(), default);
    run(Command::new(BIN).args(["config", "check"]).arg(&packaged));
    let unit = std::fs::read_to_string(files.join("lib/systemd/system/scoutly.service")).unwrap();
    assert_eq!(
        unit,
        std::fs::read_to_string(root.join("systemd/scoutly.service")).unwrap()
    );
}
