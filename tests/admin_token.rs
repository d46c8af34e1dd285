//! The first-boot admin token script (`packaging/scoutly-admin-token`, run by
//! `scoutly-admin-token.service`) against the real binary: it makes a token
//! that signs in, keeps it root-only, shows it on its standard output (the
//! console) and in the login prompt's issue snippet, does nothing on later
//! boots, respects the operator deleting the file, recovers from a power cut
//! between creating the admin and writing the file, and leaves an appliance
//! that already has users alone.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Appliance, BIN};

struct Boot {
    token_file: PathBuf,
    issue: PathBuf,
}

impl Boot {
    fn new(app: &Appliance) -> Self {
        Self {
            token_file: app.dir.path().join("etc/admin-token"),
            issue: app.dir.path().join("run/issue.d/scoutly.issue"),
        }
    }

    /// One boot's run of the script; its standard output.
    fn run(&self, app: &Appliance) -> String {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/scoutly-admin-token");
        let out = Command::new(script)
            .env("SCOUTLY_BIN", BIN)
            .env("SCOUTLY_TOKEN_FILE", &self.token_file)
            .env("SCOUTLY_ISSUE_DIR", self.issue.parent().unwrap())
            .env("SCOUTLY_CONFIG", &app.config)
            .env("SCOUTLY_DATA_DIR", app.data_dir())
            // Whatever accounts this machine has, the CLI runs as the test.
            .env("SCOUTLY_AS_USER", "")
            .env_remove("STATE_DIRECTORY")
            .env_remove("RUNTIME_DIRECTORY")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "admin-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn token(&self) -> String {
        std::fs::read_to_string(&self.token_file)
            .unwrap()
            .trim()
            .to_string()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn first_boot_makes_one_root_only_admin_token_and_shows_it() {
    let mut app = Appliance::new();
    app.start();
    let boot = Boot::new(&app);

    // First boot, the appliance running: the CLI goes through its socket.
    let console = boot.run(&app);
    let token = boot.token();
    assert!(
        token.starts_with("sct_") && token.len() == 68,
        "not a token: {token}"
    );
    assert_eq!(mode(&boot.token_file), 0o600);
    assert!(
        console.contains(&token),
        "console shows no token: {console}"
    );
    let issue = std::fs::read_to_string(&boot.issue).unwrap();
    assert!(issue.contains(&token));
    assert_eq!(mode(&boot.issue), 0o600);
    let (status, _) = app.http("GET", "/api/companies", Some(&token), None);
    assert_eq!(status, 200, "the first token signs in");
    let users = app.json(&["user", "list"]);
    let admins: Vec<_> = users
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "admin")
        .collect();
    assert_eq!(admins.len(), 1, "{users}");

    // Later boots: the same token, shown again, no new user.
    let again = boot.run(&app);
    assert_eq!(boot.token(), token);
    assert!(again.contains(&token));
    assert_eq!(app.json(&["user", "list"]), users);

    // The operator saved the token and deleted the file: it stays deleted,
    // the token still works and the prompt no longer shows it.
    std::fs::remove_file(&boot.token_file).unwrap();
    let quiet = boot.run(&app);
    assert!(!quiet.contains("sct_"), "{quiet}");
    assert!(!boot.token_file.exists());
    assert!(!boot.issue.exists());
    assert_eq!(app.http("GET", "/api/companies", Some(&token), None).0, 200);
    assert_eq!(app.stop(), 0);
}

#[test]
fn a_power_cut_before_the_token_was_saved_gives_the_admin_a_new_one() {
    let mut app = Appliance::new();
    let boot = Boot::new(&app);
    // First boot with the appliance stopped: the CLI opens the database.
    boot.run(&app);
    let lost = boot.token();
    // The cut: the admin was created (the pending marker on disk), but
    // neither the token file nor the issued marker made it.
    let dir = boot.token_file.parent().unwrap();
    std::fs::remove_file(&boot.token_file).unwrap();
    std::fs::remove_file(dir.join(".admin-token-issued")).unwrap();
    std::fs::write(dir.join(".admin-token-pending"), "").unwrap();

    let console = boot.run(&app);
    let token = boot.token();
    assert_ne!(token, lost);
    assert!(console.contains(&token));
    assert!(!dir.join(".admin-token-pending").exists());
    app.start();
    assert_eq!(app.http("GET", "/api/companies", Some(&token), None).0, 200);
    assert_eq!(app.http("GET", "/api/companies", Some(&lost), None).0, 401);
    let users = app.json(&["user", "list"]);
    assert_eq!(users.as_array().unwrap().len(), 1, "one admin: {users}");
    assert_eq!(app.stop(), 0);
}

#[test]
fn an_appliance_that_already_has_users_keeps_its_tokens() {
    // An upgrade from a version without the script, or a hand-made
    // appliance: users exist and no marker does.
    let mut app = Appliance::new();
    let added = app.json(&["user", "add", "admin", "--admin"]);
    let token = added["token"].as_str().unwrap().to_string();
    let boot = Boot::new(&app);

    let console = boot.run(&app);
    assert!(!console.contains("sct_"), "{console}");
    assert!(!boot.token_file.exists());
    assert!(
        boot.token_file
            .with_file_name(".admin-token-issued")
            .exists()
    );
    boot.run(&app);
    app.start();
    assert_eq!(
        app.http("GET", "/api/companies", Some(&token), None).0,
        200,
        "the existing token still signs in"
    );
    assert_eq!(app.json(&["user", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(app.stop(), 0);
}
