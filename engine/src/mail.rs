//! Mail (V10, O23): transcripts a visitor asks for, chats an operator sends, and the admin's
//! test mail, sent through the SMTP server the flags name.
//!
//! A request only queues the mail in the durable outbox, in the database; every node then
//! takes due mails under a lease, hands them to the SMTP server and records the outcome. A
//! mail the server cannot take now (down, busy, a 4xx answer) is tried again with backoff, so
//! an outage delays mail and loses none; one refused for good (a 5xx answer) is failed at once.

use std::sync::Arc;
use std::time::Duration;

use domain::console::Role;
use domain::mail::{
    EmailTranscript, MailOverview, MailPurpose, MailState, SmtpTls, parse_address, retry_at,
};
use domain::transcript::Transcript;
use domain::{ChatId, Error, ErrorCode, Viewer};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::operators::Session;
use crate::store::{DueMail, MailOutcome, NewMail, VisitorRecord};
use crate::{Engine, internal};

/// Mails one node takes at a time.
const CLAIM: i64 = 8;
/// How long a node holds mails it took: longer than sending them can last.
const LEASE_MS: i64 = 120_000;
/// The SMTP server has this long for each step.
const TIMEOUT: Duration = Duration::from_secs(20);
/// How often each node looks for mail to send.
const EVERY: Duration = Duration::from_secs(1);
/// Mails the console's outbox shows.
const OUTBOX_SHOWN: i64 = 50;
/// Longest error text kept for a try.
const MAX_ERROR_CHARS: usize = 300;
/// Times one chat's transcript may be mailed at its visitor's request.
pub const MAX_TRANSCRIPT_MAILS: i64 = 3;

/// Where mail goes out: the SMTP server and the sender, from flags or the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// SMTP server's host name.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// Login, if the server wants one.
    pub username: Option<String>,
    /// Password for the login.
    pub password: Option<String>,
    /// The sender: `support@example.com` or `Support <support@example.com>`.
    pub from: String,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("from", &self.from)
            .finish()
    }
}

impl MailConfig {
    /// Checks the sender address; answers what is wrong, for the start-up error.
    pub fn validate(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("--smtp-host is empty".to_owned());
        }
        self.from
            .parse::<Mailbox>()
            .map(|_| ())
            .map_err(|err| format!("--smtp-from {:?}: {err}", self.from))
    }
}

pub(crate) fn not_configured() -> Error {
    Error::new(
        ErrorCode::MailNotConfigured,
        "This server does not send email: its SMTP server is not set up.",
    )
}

impl Engine {
    /// Whether mail can be sent.
    pub fn mail_configured(&self) -> bool {
        self.config.mail.is_some()
    }

    /// Queues a mail in the outbox; it leaves within a second or two.
    async fn queue_mail(&self, mail: NewMail) -> Result<(), Error> {
        if !self.mail_configured() {
            return Err(not_configured());
        }
        self.store.insert_mail(&mail).await.map_err(internal)?;
        Ok(())
    }

    /// A visitor's chat as they may read it: never notes or anything after a kick.
    pub async fn visitor_transcript(
        &self,
        visitor: &VisitorRecord,
        chat: ChatId,
    ) -> Result<Transcript, Error> {
        let stored = self.load(chat).await?;
        if stored.state.visitor != Some(visitor.id) {
            return Err(crate::chat_not_found());
        }
        self.transcript(&stored.state, Viewer::Visitor, false).await
    }

    /// A chat's transcript as an operator may read it: theirs if they have been in it, any
    /// chat for supervisors and admins. Private notes only when asked for.
    pub async fn operator_transcript(
        &self,
        session: &Session,
        chat: ChatId,
        notes: bool,
    ) -> Result<Transcript, Error> {
        session.require_ready()?;
        let me = session.operator.id;
        let took_part = self.store.took_part(me, chat).await.map_err(internal)?;
        if !domain::transcript::may_read(session.operator.role, took_part) {
            return Err(crate::chat_not_found());
        }
        let stored = self.load(chat).await?;
        self.transcript(&stored.state, Viewer::Operator(me), notes)
            .await
    }

    /// A chat as a PDF document (O22), as [`Self::operator_transcript`] allows: its file name
    /// and bytes. Set in the system's fonts (DejaVu, and a CJK fallback where installed),
    /// on a blocking thread: shaping a long chat takes a few milliseconds.
    pub async fn operator_transcript_pdf(
        &self,
        session: &Session,
        chat: ChatId,
        notes: bool,
    ) -> Result<(String, Vec<u8>), Error> {
        let transcript = self.operator_transcript(session, chat, notes).await?;
        let fonts = self.pdf_fonts()?;
        let name = transcript.file_name("pdf");
        let document = crate::pdf::PdfTranscript::of(&transcript);
        let bytes = tokio::task::spawn_blocking(move || crate::pdf::render(&document, &fonts))
            .await
            .map_err(|err| {
                tracing::error!(%err, "rendering a PDF failed");
                Error::internal()
            })?;
        Ok((name, bytes))
    }

    /// The PDF fonts, read once; a server without any cannot make PDFs and says so.
    fn pdf_fonts(&self) -> Result<Arc<crate::pdf::PdfFonts>, Error> {
        self.pdf_fonts
            .get_or_init(|| {
                let dirs = if self.config.font_dirs.is_empty() {
                    crate::pdf::PdfFonts::default_dirs()
                } else {
                    self.config.font_dirs.clone()
                };
                crate::pdf::PdfFonts::load(&dirs)
                    .map(Arc::new)
                    .inspect_err(|err| {
                        tracing::error!(%err, "no fonts for PDF transcripts");
                    })
            })
            .clone()
            .map_err(|_| {
                Error::new(
                    ErrorCode::Unavailable,
                    "This server has no fonts to make PDFs with (install fonts-dejavu-core).",
                )
            })
    }

    /// A chat's transcript for `viewer`, with the channel's name.
    pub(crate) async fn transcript(
        &self,
        state: &domain::ChatState,
        viewer: Viewer,
        notes: bool,
    ) -> Result<Transcript, Error> {
        let events: Vec<_> = self
            .store
            .chat_events(state.id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|logged| (logged.event, logged.visibility))
            .collect();
        let channel = match state.channel {
            Some(id) => self
                .store
                .channels()
                .await
                .map_err(internal)?
                .into_iter()
                .find(|c| c.id == id)
                .map(|c| c.name),
            None => None,
        };
        Ok(Transcript::of(state.id, &events, viewer, notes, channel))
    }

    /// A visitor has their chat's transcript mailed to them: to the address they give, or the
    /// one they gave before. A chat's transcript goes out at most
    /// [`MAX_TRANSCRIPT_MAILS`] times this way.
    pub async fn email_transcript(
        &self,
        visitor: &VisitorRecord,
        chat: ChatId,
        input: &EmailTranscript,
    ) -> Result<String, Error> {
        let transcript = self.visitor_transcript(visitor, chat).await?;
        let given = input
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .or(visitor.email.as_deref())
            .ok_or_else(|| {
                Error::invalid(
                    "email",
                    "Please give the address to send the transcript to.",
                )
            })?;
        let recipient = parse_address("email", given)?;
        if !self.mail_configured() {
            return Err(not_configured());
        }
        let sent = self
            .store
            .mail_count(chat, MailPurpose::Transcript)
            .await
            .map_err(internal)?;
        if sent >= MAX_TRANSCRIPT_MAILS {
            return Err(Error::rate_limited(
                3600,
                format!(
                    "This transcript has been sent {MAX_TRANSCRIPT_MAILS} times already; \
                     download it instead."
                ),
            ));
        }
        self.queue_mail(NewMail {
            subject: transcript_subject(&transcript),
            body: transcript_mail(&transcript, "You asked for the transcript of your chat."),
            recipient: recipient.clone(),
            purpose: MailPurpose::Transcript,
            chat: Some(chat),
            created_at: self.now(),
        })
        .await?;
        Ok(recipient)
    }

    /// An operator sends a chat to its visitor by email once the visitor's part is over (O23):
    /// the conversation as the visitor saw it (never a note), to the address given or the one
    /// the visitor gave. Operators send chats they may read.
    pub async fn email_chat(
        &self,
        session: &Session,
        chat: ChatId,
        to: &str,
    ) -> Result<String, Error> {
        session.require_ready()?;
        let took_part = self
            .store
            .took_part(session.operator.id, chat)
            .await
            .map_err(internal)?;
        if !domain::transcript::may_read(session.operator.role, took_part) {
            return Err(crate::chat_not_found());
        }
        let stored = self.load(chat).await?;
        let Some(visitor) = stored.state.visitor else {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "A chat between operators has no visitor to send it to.",
            ));
        };
        if stored.state.open_for_visitor() {
            return Err(Error::new(
                ErrorCode::ChatNotActive,
                "Send the chat once the visitor's part of it is over.",
            ));
        }
        let known = self
            .store
            .visitor_by_id(visitor)
            .await
            .map_err(internal)?
            .and_then(|v| v.email);
        let given = Some(to.trim())
            .filter(|t| !t.is_empty())
            .or(known.as_deref())
            .ok_or_else(|| Error::invalid("to", "The visitor gave no email address: type one."))?;
        let recipient = parse_address("to", given)?;
        let transcript = self
            .transcript(&stored.state, Viewer::Visitor, false)
            .await?;
        self.queue_mail(NewMail {
            subject: transcript_subject(&transcript),
            body: transcript_mail(
                &transcript,
                &format!(
                    "{} sent you the transcript of your chat.",
                    session.operator.name
                ),
            ),
            recipient: recipient.clone(),
            purpose: MailPurpose::ChatByEmail,
            chat: Some(chat),
            created_at: self.now(),
        })
        .await?;
        self.record(session, "email_chat", Some(chat), Some(recipient.clone()))
            .await;
        Ok(recipient)
    }

    /// An admin's "Send test email": to the address given, or their own.
    pub async fn send_test_mail(&self, session: &Session, to: &str) -> Result<String, Error> {
        session.require_role(Role::Admin)?;
        let to = if to.trim().is_empty() {
            session.operator.email.as_str()
        } else {
            to
        };
        let recipient = parse_address("to", to)?;
        self.queue_mail(NewMail {
            recipient: recipient.clone(),
            subject: "Switchboard test email".to_owned(),
            body: format!(
                "This is a test email sent by {} from Switchboard's Email page.\n\n\
                 If you can read it, mail from Switchboard reaches you.\n",
                session.operator.name
            ),
            purpose: MailPurpose::Test,
            chat: None,
            created_at: self.now(),
        })
        .await?;
        self.record(session, "send_test_email", None, Some(recipient.clone()))
            .await;
        Ok(recipient)
    }

    /// The mail set-up and the newest mails (admins only).
    pub async fn mail_overview(&self, session: &Session) -> Result<MailOverview, Error> {
        session.require_role(Role::Admin)?;
        let outbox = self.store.outbox(OUTBOX_SHOWN).await.map_err(internal)?;
        let config = self.config.mail.as_ref();
        Ok(MailOverview {
            server: config.map(|c| format!("{}:{} ({})", c.host, c.port, c.tls.as_str())),
            username: config.and_then(|c| c.username.clone()),
            from: config.map(|c| c.from.clone()),
            outbox,
        })
    }

    /// Sends the mails due now that no other node holds; answers how many were tried.
    pub async fn deliver_mail(&self) -> Result<usize, Error> {
        let Some(config) = self.config.mail.clone() else {
            return Ok(0);
        };
        let now = self.now();
        let due = self
            .store
            .claim_mail(now, domain::Timestamp(now.0 + LEASE_MS), CLAIM)
            .await
            .map_err(internal)?;
        if due.is_empty() {
            return Ok(0);
        }
        let transport = transport(&config);
        for mail in &due {
            let result = match &transport {
                Ok(transport) => send(transport, &config, mail).await,
                Err(err) => Err((err.clone(), false)),
            };
            let at = self.now();
            let attempts = mail.attempts + 1;
            let outcome = match result {
                Ok(()) => MailOutcome {
                    at,
                    attempts,
                    state: MailState::Sent,
                    next_attempt_at: None,
                    error: None,
                },
                Err((error, permanent)) => {
                    let next = if permanent {
                        None
                    } else {
                        retry_at(attempts, at)
                    };
                    tracing::warn!(mail = mail.id, attempts, %error, "sending mail");
                    MailOutcome {
                        at,
                        attempts,
                        state: if next.is_some() {
                            MailState::Pending
                        } else {
                            MailState::Failed
                        },
                        next_attempt_at: next,
                        error: Some(error.chars().take(MAX_ERROR_CHARS).collect()),
                    }
                }
            };
            if let Err(err) = self.store.finish_mail(mail.id, &outcome).await {
                tracing::warn!(error = %err, mail = mail.id, "recording a mail try");
            }
        }
        Ok(due.len())
    }

    /// Sends until nothing is due now (tests, and each round of the background task).
    pub async fn run_mail(&self) -> Result<(), Error> {
        while self.deliver_mail().await? > 0 {}
        Ok(())
    }

    pub(crate) fn start_mailer(&self) {
        if !self.mail_configured() {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(EVERY).await;
                if let Err(err) = engine.run_mail().await {
                    tracing::debug!(error = %err, "mail");
                }
            }
        });
    }
}

/// "Your chat transcript (2026-12-02)".
fn transcript_subject(transcript: &Transcript) -> String {
    let date: String = transcript.started.utc_text().chars().take(10).collect();
    format!("Your chat transcript ({date})")
}

/// The body of a transcript mail: a line of why, then the transcript.
fn transcript_mail(transcript: &Transcript, why: &str) -> String {
    let greeting = if transcript.visitor.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {},", transcript.visitor)
    };
    format!(
        "{greeting}\n\n{why} It follows below.\n\n{}\n-- \nSent by Switchboard live chat.\n",
        transcript.to_text("Chat transcript")
    )
}

/// The SMTP connection the configuration describes.
fn transport(config: &MailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match config.tls {
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host),
        SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &config.host,
        )),
    }
    .map_err(|err| format!("SMTP server {}: {err}", config.host))?;
    let mut builder = builder.port(config.port).timeout(Some(TIMEOUT));
    if let Some(username) = &config.username {
        builder = builder.credentials(Credentials::new(
            username.clone(),
            config.password.clone().unwrap_or_default(),
        ));
    }
    Ok(builder.build())
}

/// Hands one mail to the SMTP server; on failure, why and whether it is for good.
async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &MailConfig,
    mail: &DueMail,
) -> Result<(), (String, bool)> {
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|err| (format!("sender {:?}: {err}", config.from), true))?;
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|err| (format!("recipient {:?}: {err}", mail.recipient), true))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|err| (format!("building the mail: {err}"), true))?;
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|err| (err.to_string(), err.is_permanent()))
}
