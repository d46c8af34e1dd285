//! A small SMTP server on 127.0.0.1 that records the mails it accepts
//! (RFC 5321: EHLO, MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT).
//! It can answer the end of DATA late, or with a temporary (451) or
//! permanent (554) refusal, to test retries and kills.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-stuffing undone.
    pub data: String,
}

impl Mail {
    /// The first header of this name (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut()
                && line.starts_with([' ', '\t'])
            {
                v.push_str(line);
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_string());
            }
        }
        value
    }

    pub fn body(&self) -> String {
        self.data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    mails: Vec<Mail>,
    /// Recorded at the end of DATA, before the answer.
    arrived: Vec<Mail>,
    delay: Duration,
    refuse_next: Vec<&'static str>,
    /// Non-zero: ends of DATA are held unanswered until `release`.
    hold_next: usize,
    held: bool,
}

pub struct Smtp {
    pub addr: SocketAddr,
    inner: Arc<(Mutex<Inner>, Condvar)>,
}

impl Smtp {
    pub fn start() -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new((Mutex::new(Inner::default()), Condvar::new()));
        let shared = inner.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = session(conn, &shared);
                });
            }
        });
        Smtp { addr, inner }
    }

    /// `smtp://…?tls=none` for a sink's url.
    pub fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.addr)
    }

    /// Mails whose DATA was answered 250.
    pub fn mails(&self) -> Vec<Mail> {
        self.inner.0.lock().unwrap().mails.clone()
    }

    /// Every mail that arrived, answered or not (a kill may cut the answer).
    pub fn arrived(&self) -> Vec<Mail> {
        self.inner.0.lock().unwrap().arrived.clone()
    }

    /// From now until [`Smtp::release`], leave every end of DATA unanswered
    /// (the mail recorded as arrived): a kill then lands mid-delivery.
    pub fn hold(&self) {
        self.inner.0.lock().unwrap().hold_next = 1;
    }

    /// Whether a mail is being held unanswered now.
    pub fn holding(&self) -> bool {
        self.inner.0.lock().unwrap().held
    }

    /// Answer the held mails (to a client that may be gone).
    pub fn release(&self) {
        let (lock, cv) = &*self.inner;
        lock.lock().unwrap().hold_next = 0;
        cv.notify_all();
    }

    /// Answer each end of DATA this late.
    pub fn set_delay(&self, d: Duration) {
        self.inner.0.lock().unwrap().delay = d;
    }

    /// Answer the next ends of DATA with these replies (e.g. "451 4.3.0
    /// try later", "554 5.7.1 rejected").
    pub fn refuse_next(&self, replies: &[&'static str]) {
        self.inner.0.lock().unwrap().refuse_next = replies.to_vec();
    }
}

fn session(conn: TcpStream, shared: &(Mutex<Inner>, Condvar)) -> std::io::Result<()> {
    let (inner, cv) = shared;
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = conn.try_clone()?;
    let mut lines = BufReader::new(conn);
    let mut say = |s: &str| out.write_all(format!("{s}\r\n").as_bytes());
    say("220 fixture.localhost ESMTP")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let verb = cmd
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => say("250-fixture.localhost\r\n250-8BITMIME\r\n250 SMTPUTF8")?,
            "HELO" => say("250 fixture.localhost")?,
            "MAIL" => {
                from = address(&cmd);
                to.clear();
                say("250 2.1.0 OK")?
            }
            "RCPT" => {
                to.push(address(&cmd));
                say("250 2.1.5 OK")?
            }
            "DATA" => {
                say("354 end with <CRLF>.<CRLF>")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let mail = Mail {
                    from: from.clone(),
                    to: to.clone(),
                    data: data.trim_end_matches("\r\n").to_string(),
                };
                let (delay, refusal) = {
                    let mut i = inner.lock().unwrap();
                    i.arrived.push(mail.clone());
                    if i.hold_next > 0 {
                        i.held = true;
                        i = cv.wait_while(i, |i| i.hold_next > 0).unwrap();
                        i.held = false;
                    }
                    let r = (!i.refuse_next.is_empty()).then(|| i.refuse_next.remove(0));
                    (i.delay, r)
                };
                std::thread::sleep(delay);
                match refusal {
                    Some(reply) => say(reply)?,
                    None => {
                        inner.lock().unwrap().mails.push(mail);
                        say("250 2.0.0 queued")?
                    }
                }
            }
            "RSET" | "NOOP" => say("250 2.0.0 OK")?,
            "QUIT" => {
                say("221 2.0.0 bye")?;
                return Ok(());
            }
            _ => say("502 5.5.2 not implemented")?,
        }
    }
}

fn address(cmd: &str) -> String {
    cmd.split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(a, _)| a.to_string())
        .unwrap_or_default()
}
