//! The e-mail sink: one SMTP conversation per notification, over STARTTLS
//! (`smtp://`, required, not merely offered), TLS from the first byte
//! (`smtps://`), or plain text to a relay on this machine (`?tls=none`).
//!
//! SMTP has no idempotency key, so the item's key becomes the mail's
//! `Message-ID` (`<key@sender's domain>`): a mail sent again after a lost
//! answer carries the same id, which mail clients and list software use to
//! recognise a repeat. The subject and text are the ones ntfy shows.
//!
//! A 5xx answer means the server refuses the mail for good; a 4xx, a
//! timeout or a broken connection is tried again later.

use std::collections::HashMap;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::sinks::{SendError, text_parts};
use crate::config::{EmailSink, Env, MailTls, NotifyConfig, Sink, SinkKind};
use crate::model::OutboxItem;

/// One e-mail sink, ready to send.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    /// The right-hand side of Message-IDs: the sender's domain.
    id_domain: String,
    server: String,
}

/// A mailer for every e-mail sink, by sink name. Fails (naming the sink)
/// when a password cannot be read, so `scoutly run` stops before it starts.
pub fn mailers(cfg: &NotifyConfig, env: &dyn Env) -> Result<HashMap<String, Mailer>, String> {
    let mut out = HashMap::new();
    for sink in cfg.sinks.iter().filter(|s| s.kind == SinkKind::Email) {
        let Some(email) = &sink.email else { continue };
        let mailer = Mailer::new(sink, email, cfg.timeout, env)
            .map_err(|e| format!("notify.sinks {:?}: {e}", sink.name))?;
        out.insert(sink.name.clone(), mailer);
    }
    Ok(out)
}

fn password(email: &EmailSink, env: &dyn Env) -> Result<String, String> {
    if let Some(var) = &email.password_env {
        return env
            .var(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                format!(
                    "the SMTP password variable ${var} is not set; set it, or use password_file"
                )
            });
    }
    if let Some(path) = &email.password_file {
        return crate::config::secret::read_owner_only(path).map_err(|why| {
            format!(
                "cannot use the SMTP password file {}: {why}",
                path.display()
            )
        });
    }
    Err("the URL names an SMTP user but no password_env or password_file says where the password is".into())
}

impl Mailer {
    fn new(
        sink: &Sink,
        email: &EmailSink,
        timeout: Duration,
        env: &dyn Env,
    ) -> Result<Self, String> {
        crate::outbound::install_crypto();
        // An IPv6 address comes bracketed in a URL, not in a lookup.
        let host = sink
            .url
            .host_str()
            .ok_or("the URL has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let mut builder = match email.tls {
            MailTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            MailTls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            MailTls::None => {
                Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(25))
            }
        }
        .map_err(|e| format!("cannot set up TLS for {host}: {e}"))?;
        if let Some(port) = sink.url.port() {
            builder = builder.port(port);
        }
        if let Some(user) = &email.username {
            builder = builder.credentials(Credentials::new(user.clone(), password(email, env)?));
        }
        let parse = |a: &str| {
            a.parse::<Mailbox>()
                .map_err(|e| format!("address {a:?}: {e}"))
        };
        let from = parse(&email.from)?;
        let to = email
            .to
            .iter()
            .map(|a| parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Mailer {
            transport: builder.timeout(Some(timeout)).build(),
            id_domain: from.email.domain().to_string(),
            from,
            to,
            server: format!(
                "{host}:{}",
                sink.url.port().unwrap_or(match email.tls {
                    MailTls::StartTls => 587,
                    MailTls::Implicit => 465,
                    MailTls::None => 25,
                })
            ),
        })
    }

    /// The mail for one item; its Message-ID is derived from the key.
    pub fn message(&self, item: &OutboxItem) -> Result<Message, String> {
        let (subject, text, _, _) = text_parts(item);
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .message_id(Some(format!("<{}@{}>", item.key, self.id_domain)))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            b = b.to(to.clone());
        }
        b.body(format!(
            "{text}\n\n-- \nScoutly notification {}\n",
            item.key
        ))
        .map_err(|e| format!("cannot build the mail: {e}"))
    }

    pub async fn send(&self, item: &OutboxItem) -> Result<(), SendError> {
        let mail = self.message(item).map_err(SendError::Refused)?;
        match self.transport.send(mail).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Refused(format!(
                "{} refused the mail: {}",
                self.server,
                crate::fetch::error_chain(&e)
            ))),
            Err(e) => Err(SendError::Retry {
                reason: format!(
                    "mail to {} failed: {}",
                    self.server,
                    crate::fetch::error_chain(&e)
                ),
                retry_after: None,
            }),
        }
    }
}
