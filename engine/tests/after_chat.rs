//! After the chat, on a real database (SQLite, or PostgreSQL with
//! `SWITCHBOARD_TEST_BACKEND=postgres`) and a real SMTP server on loopback: the visitor's
//! rating (V12), their transcript and its mail (V10), the admin's test mail, and the outbox
//! that keeps mail through an SMTP outage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::console::ChatAction;
use domain::mail::{EmailTranscript, MailPurpose, MailState};
use domain::rating::RateChat;
use domain::{ChatId, ErrorCode, EventKind, Timestamp};
use engine::store::VisitorRecord;
use engine::{Clock, EngineConfig};
use test_support::{SmtpSink, TestApp};

const FROM: &str = "Support <support@example.com>";

async fn app_with(config: EngineConfig) -> TestApp {
    TestApp::builder()
        .with_config(config)
        .with_operator("Olivia")
        .with_admin("Ada")
        .start()
        .await
}

/// A chat Olivia answered, said something in (and noted something), then closed.
async fn answered_and_closed(app: &TestApp) -> (VisitorRecord, ChatId) {
    let (visitor, _) = app.visitor().await;
    let chat = app
        .start_chat(&visitor, "Привет! Ünïcödé, مرحبا, 你好")
        .await
        .id;
    let olivia = app.session("Olivia").clone();
    app.engine.accept_chat(&olivia, chat).await.unwrap();
    app.engine
        .operator_post(&olivia, chat, "Hello Vera, how can I help?", None, false)
        .await
        .unwrap();
    app.engine
        .operator_post(&olivia, chat, "Secret: VIP customer", None, true)
        .await
        .unwrap();
    app.engine
        .operator_command(&olivia, chat, &ChatAction::Close.command())
        .await
        .unwrap();
    (visitor, chat)
}

fn rate(stars: i64, comment: &str) -> RateChat {
    RateChat {
        stars,
        comment: Some(comment.to_owned()),
    }
}

#[tokio::test]
async fn the_visitor_rates_an_answered_chat_once_it_is_over_and_only_once() {
    let app = app_with(EngineConfig::default()).await;
    let (visitor, chat) = answered_and_closed(&app).await;

    let bad = app
        .engine
        .visitor_rate(&visitor, chat, &rate(0, ""))
        .await
        .unwrap_err();
    assert_eq!(
        (bad.code, bad.field.as_deref()),
        (ErrorCode::InvalidField, Some("stars"))
    );
    let (stranger, _) = app.visitor().await;
    let err = app
        .engine
        .visitor_rate(&stranger, chat, &rate(5, ""))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotFound);

    let event = app
        .engine
        .visitor_rate(&visitor, chat, &rate(4, "Quick and kind"))
        .await
        .unwrap();
    assert_eq!(
        event.kind,
        EventKind::ChatRated {
            stars: 4,
            comment: "Quick and kind".into()
        }
    );
    let again = app
        .engine
        .visitor_rate(&visitor, chat, &rate(1, "changed my mind"))
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::AlreadyRated);

    // The operator's copy of the chat carries the rating.
    let olivia = app.session("Olivia").clone();
    let transcript = app
        .engine
        .operator_transcript(&olivia, chat, false)
        .await
        .unwrap();
    assert_eq!(transcript.rating.map(|r| r.stars), Some(4));
}

#[tokio::test]
async fn open_missed_and_kicked_chats_cannot_be_rated() {
    let app = app_with(EngineConfig::default()).await;
    let olivia = app.session("Olivia").clone();

    let (open_visitor, _) = app.visitor().await;
    let open = app.start_chat(&open_visitor, "Hi").await.id;
    app.engine.accept_chat(&olivia, open).await.unwrap();
    let err = app
        .engine
        .visitor_rate(&open_visitor, open, &rate(5, ""))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotActive);

    let (missed_visitor, _) = app.visitor().await;
    let missed = app.start_chat(&missed_visitor, "Anyone?").await.id;
    app.engine
        .visitor_end(&missed_visitor, missed)
        .await
        .unwrap();
    let err = app
        .engine
        .visitor_rate(&missed_visitor, missed, &rate(1, "nobody came"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotActive);

    let (kicked_visitor, _) = app.visitor().await;
    let kicked = app.start_chat(&kicked_visitor, "spam").await.id;
    app.engine.accept_chat(&olivia, kicked).await.unwrap();
    app.engine
        .operator_command(&olivia, kicked, &ChatAction::Kick.command())
        .await
        .unwrap();
    let err = app
        .engine
        .visitor_rate(&kicked_visitor, kicked, &rate(1, ""))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatClosed);
}

#[tokio::test]
async fn the_visitors_transcript_never_holds_notes_and_is_theirs_alone() {
    let app = app_with(EngineConfig::default()).await;
    let (visitor, chat) = answered_and_closed(&app).await;
    let transcript = app.engine.visitor_transcript(&visitor, chat).await.unwrap();
    let text = transcript.to_text("Chat transcript");
    assert!(
        text.contains("Vera: Привет! Ünïcödé, مرحبا, 你好"),
        "{text}"
    );
    assert!(
        text.contains("Olivia: Hello Vera, how can I help?"),
        "{text}"
    );
    assert!(text.contains("Olivia closed the chat"), "{text}");
    assert!(!text.contains("VIP"), "{text}");

    let (stranger, _) = app.visitor().await;
    let err = app
        .engine
        .visitor_transcript(&stranger, chat)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotFound);

    // Operators read notes only when they ask for them.
    let olivia = app.session("Olivia").clone();
    let with_notes = app
        .engine
        .operator_transcript(&olivia, chat, true)
        .await
        .unwrap()
        .to_text("T");
    assert!(with_notes.contains("Secret: VIP customer"), "{with_notes}");
}

#[tokio::test]
async fn a_transcript_mail_reaches_the_smtp_server_with_its_unicode_intact() {
    let sink = SmtpSink::start();
    let app = app_with(EngineConfig {
        mail: Some(sink.mail_config(FROM)),
        ..EngineConfig::default()
    })
    .await;
    let (visitor, chat) = answered_and_closed(&app).await;

    let err = app
        .engine
        .email_transcript(&visitor, chat, &EmailTranscript { email: None })
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidField, Some("email"))
    );
    let err = app
        .engine
        .email_transcript(
            &visitor,
            chat,
            &EmailTranscript {
                email: Some("vera@example.com\r\nBcc: all@example.com".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("email"));

    let to = app
        .engine
        .email_transcript(
            &visitor,
            chat,
            &EmailTranscript {
                email: Some(" vera@example.com ".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(to, "vera@example.com");
    app.engine.run_mail().await.unwrap();
    let mails = sink.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail.rcpt_to, vec!["vera@example.com".to_owned()]);
    assert_eq!(mail.mail_from, "support@example.com");
    assert!(
        mail.subject.starts_with("Your chat transcript ("),
        "{mail:?}"
    );
    assert_eq!(mail.content_type, "text/plain");
    assert!(mail.body.contains("Hello Vera,"), "{}", mail.body);
    assert!(
        mail.body.contains("Vera: Привет! Ünïcödé, مرحبا, 你好"),
        "{}",
        mail.body
    );
    assert!(!mail.body.contains("VIP"), "{}", mail.body);

    // A few times per chat at most: the outbox is not a way to mail strangers.
    for _ in 1..engine::mail::MAX_TRANSCRIPT_MAILS {
        app.engine
            .email_transcript(
                &visitor,
                chat,
                &EmailTranscript {
                    email: Some("vera@example.com".into()),
                },
            )
            .await
            .unwrap();
    }
    let err = app
        .engine
        .email_transcript(
            &visitor,
            chat,
            &EmailTranscript {
                email: Some("vera@example.com".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
}

#[tokio::test]
async fn without_an_smtp_server_nothing_is_queued_and_the_visitor_is_told() {
    let app = app_with(EngineConfig::default()).await;
    let (visitor, chat) = answered_and_closed(&app).await;
    let err = app
        .engine
        .email_transcript(
            &visitor,
            chat,
            &EmailTranscript {
                email: Some("vera@example.com".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::MailNotConfigured);
    let ada = app.session("Ada").clone();
    let overview = app.engine.mail_overview(&ada).await.unwrap();
    assert!(overview.server.is_none() && overview.outbox.is_empty());
}

#[tokio::test]
async fn mail_queued_while_the_smtp_server_is_down_goes_out_when_it_is_back() {
    // A port nothing listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = Clock::manual(Timestamp(1_800_000_000_000));
    let app = app_with(EngineConfig {
        clock: clock.clone(),
        mail: Some(engine::mail::MailConfig {
            host: "127.0.0.1".into(),
            port,
            tls: domain::mail::SmtpTls::None,
            username: None,
            password: None,
            from: FROM.into(),
        }),
        ..EngineConfig::default()
    })
    .await;
    let ada = app.session("Ada").clone();

    // Only admins send test mail.
    let olivia = app.session("Olivia").clone();
    let err = app.engine.send_test_mail(&olivia, "").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    let to = app.engine.send_test_mail(&ada, "").await.unwrap();
    assert_eq!(to, "ada@example.com");
    app.engine.run_mail().await.unwrap();
    let outbox = app.engine.mail_overview(&ada).await.unwrap().outbox;
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        (outbox[0].state, outbox[0].attempts, outbox[0].purpose),
        (MailState::Pending, 1, MailPurpose::Test)
    );
    assert!(outbox[0].last_error.is_some());

    // Not due again before its backoff, whatever the node.
    app.engine.run_mail().await.unwrap();
    assert_eq!(
        app.engine.mail_overview(&ada).await.unwrap().outbox[0].attempts,
        1
    );

    let sink = SmtpSink::start_on(port);
    clock.advance(10_000);
    app.engine.run_mail().await.unwrap();
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].rcpt_to, vec!["ada@example.com".to_owned()]);
    assert_eq!(mails[0].subject, "Switchboard test email");
    let outbox = app.engine.mail_overview(&ada).await.unwrap().outbox;
    assert_eq!((outbox[0].state, outbox[0].attempts), (MailState::Sent, 2));

    // Sent once: nothing is due any more.
    clock.advance(24 * 3_600_000);
    app.engine.run_mail().await.unwrap();
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn an_operator_sends_a_finished_chat_to_its_visitor_by_email() {
    let sink = SmtpSink::start();
    let app = app_with(EngineConfig {
        mail: Some(sink.mail_config(FROM)),
        ..EngineConfig::default()
    })
    .await;
    let olivia = app.session("Olivia").clone();
    let ada = app.session("Ada").clone();
    let (visitor, _) = app.visitor().await;
    let chat = app.start_chat(&visitor, "Where is my parcel?").await.id;
    app.engine.accept_chat(&olivia, chat).await.unwrap();
    app.engine
        .operator_post(&olivia, chat, "Internal: lost in Lyon", None, true)
        .await
        .unwrap();
    app.engine
        .operator_post(&olivia, chat, "It arrives tomorrow.", None, false)
        .await
        .unwrap();
    // Not while the visitor is still in it.
    let err = app
        .engine
        .email_chat(&olivia, chat, "vera@example.com")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotActive);
    app.engine.visitor_end(&visitor, chat).await.unwrap();
    // The visitor gave no address: one must be typed.
    let err = app.engine.email_chat(&olivia, chat, " ").await.unwrap_err();
    assert_eq!(err.field.as_deref(), Some("to"));
    let to = app
        .engine
        .email_chat(&olivia, chat, "vera@example.com")
        .await
        .unwrap();
    assert_eq!(to, "vera@example.com");
    app.engine.run_mail().await.unwrap();
    let mails = sink.wait_for(1).await;
    assert!(
        mails[0].body.contains("Olivia sent you the transcript"),
        "{}",
        mails[0].body
    );
    assert!(
        mails[0].body.contains("It arrives tomorrow."),
        "{}",
        mails[0].body
    );
    assert!(
        !mails[0].body.contains("Lyon"),
        "never a note: {}",
        mails[0].body
    );
    // Admins send any chat; the action log records it.
    app.engine
        .email_chat(&ada, chat, "vera@example.org")
        .await
        .unwrap();
    let log = app
        .engine
        .action_log(&ada, &domain::log::ActionFilter::default())
        .await
        .unwrap();
    assert_eq!(
        log.entries
            .iter()
            .filter(|e| e.action == "email_chat" && e.chat == Some(chat))
            .count(),
        2
    );
}

#[tokio::test]
async fn a_message_left_while_live_chat_is_offered_is_a_follow_up_request() {
    let app = app_with(EngineConfig::default()).await;
    let olivia = app.session("Olivia").clone();
    let _online = app.engine.go_online(&olivia).await.unwrap();
    let (visitor, _) = app.visitor().await;
    let left = app
        .engine
        .leave_message(
            &visitor,
            domain::followup::OfflineMessage {
                name: Some("Vera".into()),
                email: "vera@example.com".into(),
                message: "Please call me back about my order".into(),
                channel: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        left.reason,
        domain::followup::OfflineReason::FollowUpRequest
    );
}

/// The text `pdftotext` (poppler) reads out of a PDF, without the bidi marks it puts around
/// right-to-left runs.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; `cargo xtask test` installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .replace(['\u{202b}', '\u{202c}'], "")
}

#[tokio::test]
async fn a_chat_as_pdf_carries_its_unicode_and_notes_only_when_asked() {
    let app = TestApp::builder()
        .with_operator("Olivia")
        .with_operator("Otto")
        .with_admin("Ada")
        .start()
        .await;
    let (_, chat) = answered_and_closed(&app).await;
    let olivia = app.session("Olivia").clone();

    let (name, bytes) = app
        .engine
        .operator_transcript_pdf(&olivia, chat, false)
        .await
        .unwrap();
    assert!(
        name.starts_with("chat-") && name.ends_with(".pdf"),
        "{name}"
    );
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    for expected in [
        "Chat transcript",
        "Visitor: Vera",
        "Operators: Olivia",
        "Привет!",
        "Ünïcödé",
        "مرحبا",
        "你好",
        "Hello Vera, how can I help?",
        "Page 1 of 1",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(!text.contains("VIP"), "{text}");

    // Asked for, the notes are in, marked as such.
    let (_, bytes) = app
        .engine
        .operator_transcript_pdf(&olivia, chat, true)
        .await
        .unwrap();
    let text = pdf_text(&bytes);
    assert!(text.contains("Secret: VIP customer"), "{text}");

    // An operator who was not in the chat gets nothing; an admin may read every chat.
    let err = app
        .engine
        .operator_transcript_pdf(&app.session("Otto").clone(), chat, false)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotFound);
    app.engine
        .operator_transcript_pdf(&app.session("Ada").clone(), chat, false)
        .await
        .unwrap();
}
