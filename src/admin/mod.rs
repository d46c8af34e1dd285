//! The local admin socket: how the CLI reaches a running appliance.
//!
//! `scoutly run` holds the database, so a CLI command sent while it runs
//! travels over a unix socket in the runtime directory instead. Protocol: the
//! client writes one JSON [`Request`] line; the server answers one line,
//! `{"ok": <value>}` or `{"error": {"code", "message"}}`, and closes.
//!
//! Access: the socket is created with mode 0660 (service user and group), and
//! the runtime directory 0750, so only the service user, its group and root
//! can talk to it.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::control::{Control, ControlError, Request};

/// Largest request line accepted.
const MAX_REQUEST: u64 = 1 << 20;
const IO_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "cannot create admin socket {path}: {source}; the runtime directory must be writable by the user running scoutly (set $RUNTIME_DIRECTORY or --data-dir)"
    )]
    Bind {
        path: String,
        source: std::io::Error,
    },
    #[error("no appliance is listening on {0}")]
    NotRunning(String),
    #[error("admin socket {path}: {detail}")]
    Io { path: String, detail: String },
}

/// Bind the socket, replacing a stale one left by a crash (we hold the
/// database lock, so no other appliance owns it).
pub fn bind(path: &Path) -> Result<UnixListener, AdminError> {
    let err = |source| AdminError::Bind {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        std::fs::remove_file(path).map_err(err)?;
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750));
    }
    let listener = UnixListener::bind(path).map_err(err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(err)?;
    Ok(listener)
}

/// Serve requests until cancelled; each connection runs on `tracker`.
pub async fn serve(
    listener: UnixListener,
    control: Control,
    tracker: TaskTracker,
    cancel: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            _ = cancel.cancelled() => break,
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "admin socket accept failed");
                    continue;
                }
            },
        };
        let control = control.clone();
        tracker.spawn(handle(stream, control));
    }
}

async fn handle(stream: tokio::net::UnixStream, control: Control) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(read.take(MAX_REQUEST));
    // Only reading the request is timed: a slow client must not hold a task,
    // but a long command (removing a big company) may take its time.
    let read = tokio::time::timeout(IO_TIMEOUT, reader.read_line(&mut line)).await;
    let read = read.unwrap_or_else(|_| Err(std::io::Error::other("timed out reading the request")));
    let answer = match read {
        Ok(_) => match serde_json::from_str::<Request>(&line) {
            Ok(req) => {
                let op = format!("{req:?}");
                tracing::debug!(request = %op, "admin request");
                match tokio::task::spawn_blocking(move || control.execute(req)).await {
                    Ok(r) => r,
                    Err(e) => Err(ControlError {
                        code: "internal".into(),
                        message: format!("request failed: {e}"),
                    }),
                }
            }
            Err(e) => Err(ControlError::invalid(format!(
                "admin request is not valid: {e}; is the CLI the same version as the appliance?"
            ))),
        },
        Err(e) => Err(ControlError::invalid(format!("cannot read request: {e}"))),
    };
    let body = match answer {
        Ok(v) => serde_json::json!({ "ok": v }),
        Err(e) => serde_json::json!({ "error": e }),
    };
    let mut bytes = serde_json::to_vec(&body).unwrap_or_default();
    bytes.push(b'\n');
    let _ = write.write_all(&bytes).await;
    let _ = write.shutdown().await;
}

/// Send one request to a running appliance (blocking; for the CLI).
pub fn call(path: &Path, req: &Request) -> Result<Result<Value, ControlError>, AdminError> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| AdminError::Io {
        path: shown.clone(),
        detail: e.to_string(),
    };
    let mut stream = match std::os::unix::net::UnixStream::connect(path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(AdminError::NotRunning(shown));
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(AdminError::Io {
                path: shown,
                detail: "permission denied: run the command as the service user or root".into(),
            });
        }
        Err(e) => return Err(io(e)),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(io)?;
    let mut line = serde_json::to_vec(req).map_err(|e| io(std::io::Error::other(e)))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(io)?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).map_err(io)?;
    #[derive(serde::Deserialize)]
    struct Answer {
        ok: Option<Value>,
        error: Option<ControlError>,
    }
    if answer.is_empty() {
        return Err(AdminError::Io {
            path: shown,
            detail: "the appliance closed the connection without answering; the command may or may not have been applied: check the appliance's log (journalctl -u scoutly) and `scoutly status`".into(),
        });
    }
    let a: Answer = serde_json::from_str(&answer).map_err(|e| AdminError::Io {
        path: shown.clone(),
        detail: format!("unreadable answer ({e}); is the CLI the same version as the appliance?"),
    })?;
    match (a.ok, a.error) {
        (_, Some(e)) => Ok(Err(e)),
        (Some(v), None) => Ok(Ok(v)),
        (None, None) => Ok(Ok(Value::Null)),
    }
}
