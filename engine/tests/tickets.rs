//! Tickets (O23) on a real database (SQLite, or PostgreSQL with
//! `SWITCHBOARD_TEST_BACKEND=postgres`) and a real SMTP server on loopback: a chat turned into
//! a ticket closes; appending a chat twice keeps one; status transitions and their races
//! between two nodes; replies by email through the outbox; and who finds which ticket.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::console::Role;
use domain::ticket::{ArticleKind, TicketFilter, TicketStatus};
use domain::{ChatId, ChatStatus, ErrorCode};
use engine::{ChannelForm, EngineConfig, TicketEdit};
use test_support::{SmtpSink, TestApp};

async fn app_with(config: EngineConfig) -> TestApp {
    TestApp::builder()
        .with_config(config)
        .with_operator("Olivia")
        .with_operator("Otto")
        .with_account("Sue", Role::Supervisor)
        .with_admin("Ada")
        .start()
        .await
}

/// A chat Olivia accepted and answered (with a private note), still open.
async fn answered(app: &TestApp, first: &str) -> ChatId {
    let (visitor, _) = app.visitor().await;
    let chat = app.start_chat(&visitor, first).await.id;
    let olivia = app.session("Olivia").clone();
    app.engine.accept_chat(&olivia, chat).await.unwrap();
    app.engine
        .operator_post(&olivia, chat, "I will look into it.", None, false)
        .await
        .unwrap();
    app.engine
        .operator_post(&olivia, chat, "Note: refund over limit", None, true)
        .await
        .unwrap();
    chat
}

fn open_only() -> TicketFilter {
    TicketFilter::default()
}

#[tokio::test]
async fn a_chat_turned_into_a_ticket_closes_and_becomes_its_first_article() {
    let app = app_with(EngineConfig::default()).await;
    let olivia = app.session("Olivia").clone();
    let otto = app.session("Otto").clone();
    let chat = answered(&app, "My parcel never arrived").await;

    // Someone who is not in the chat cannot take it; a bad subject writes nothing.
    let err = app
        .engine
        .ticket_from_chat(&otto, chat, "Parcel")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotFound);
    let err = app
        .engine
        .ticket_from_chat(&olivia, chat, "   ")
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("subject"));
    assert!(
        app.engine
            .tickets(&olivia, open_only())
            .await
            .unwrap()
            .is_empty()
    );

    let view = app
        .engine
        .ticket_from_chat(&olivia, chat, " Lost parcel ")
        .await
        .unwrap();
    let ticket = &view.ticket;
    assert_eq!(ticket.subject, "Lost parcel");
    assert_eq!(ticket.status, TicketStatus::Open);
    assert_eq!(ticket.assignee, Some(olivia.operator.id));
    assert_eq!(ticket.assignee_name.as_deref(), Some("Olivia"));
    assert_eq!(ticket.reason, None);
    assert_eq!(view.articles.len(), 1);
    let article = &view.articles[0];
    assert_eq!(
        (article.kind, article.chat),
        (ArticleKind::Chat, Some(chat))
    );
    assert!(
        article.body.contains("My parcel never arrived"),
        "{}",
        article.body
    );
    assert!(
        article.body.contains("I will look into it."),
        "{}",
        article.body
    );
    assert!(
        !article.body.contains("refund over limit"),
        "{}",
        article.body
    );

    // The chat is over, closed by the operator who made the ticket.
    let stored = app.shared_store().chat(chat).await.unwrap().unwrap();
    assert_eq!(stored.state.status, ChatStatus::Closed);
    let log = app
        .engine
        .action_log(&app.session("Ada").clone(), &Default::default())
        .await
        .unwrap();
    assert!(log.entries.iter().any(|e| e.action == "ticket_from_chat"));
}

#[tokio::test]
async fn a_chat_is_appended_once_and_a_closed_ticket_opens_again() {
    let app = app_with(EngineConfig::default()).await;
    let olivia = app.session("Olivia").clone();
    let sue = app.session("Sue").clone();
    let first = answered(&app, "First question").await;
    let ticket = app
        .engine
        .ticket_from_chat(&olivia, first, "Order 1042")
        .await
        .unwrap()
        .ticket;
    app.engine
        .edit_ticket(&olivia, ticket.id, TicketEdit::Status(TicketStatus::Closed))
        .await
        .unwrap();

    // A second chat of hers, still open, goes into the same ticket: it reopens and the chat
    // closes.
    let second = answered(&app, "Second question").await;
    let view = app
        .engine
        .append_chat_to_ticket(&olivia, second, ticket.id)
        .await
        .unwrap();
    assert_eq!(view.ticket.status, TicketStatus::Open);
    assert_eq!(view.articles.len(), 2);
    assert!(view.articles[1].body.contains("Second question"));
    let stored = app.shared_store().chat(second).await.unwrap().unwrap();
    assert_eq!(stored.state.status, ChatStatus::Closed);

    // Pressed again (here by a supervisor, who may read every chat): one copy.
    let err = app
        .engine
        .append_chat_to_ticket(&sue, second, ticket.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TicketConflict);
    assert_eq!(
        app.engine
            .ticket(&sue, ticket.id)
            .await
            .unwrap()
            .articles
            .len(),
        2
    );
}

#[tokio::test]
async fn status_changes_follow_the_rules_and_one_of_two_racing_nodes_wins() {
    let app = app_with(EngineConfig::default()).await;
    let olivia = app.session("Olivia").clone();
    let chat = answered(&app, "Question").await;
    let id = app
        .engine
        .ticket_from_chat(&olivia, chat, "Question")
        .await
        .unwrap()
        .ticket
        .id;
    let set = |status| TicketEdit::Status(status);

    let view = app
        .engine
        .edit_ticket(&olivia, id, set(TicketStatus::Pending))
        .await
        .unwrap();
    assert_eq!(view.ticket.status, TicketStatus::Pending);
    let err = app
        .engine
        .edit_ticket(&olivia, id, set(TicketStatus::Pending))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TicketConflict);
    app.engine
        .edit_ticket(&olivia, id, set(TicketStatus::Closed))
        .await
        .unwrap();
    let err = app
        .engine
        .edit_ticket(&olivia, id, set(TicketStatus::Pending))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TicketClosed);
    let err = app
        .engine
        .reply_to_ticket(&olivia, id, "Hello", TicketStatus::Pending)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TicketClosed);
    app.engine
        .edit_ticket(&olivia, id, set(TicketStatus::Open))
        .await
        .unwrap();

    // Two nodes close it at once: the database lets one win; the other hears it lost.
    let (other, _store) = app.another_node().await;
    let (a, b) = tokio::join!(
        app.engine
            .edit_ticket(&olivia, id, set(TicketStatus::Closed)),
        other.edit_ticket(&olivia, id, set(TicketStatus::Closed)),
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let loser = a.err().or(b.err()).unwrap();
    assert_eq!(loser.code, ErrorCode::TicketConflict);

    // Assigning needs an operator that exists.
    let err = app
        .engine
        .edit_ticket(
            &olivia,
            id,
            TicketEdit::Assign(Some(domain::OperatorId(uuid::Uuid::now_v7()))),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("assignee"));
}

#[tokio::test]
async fn a_reply_is_mailed_through_the_outbox_and_kept_in_the_thread() {
    let sink = SmtpSink::start();
    let app = app_with(EngineConfig {
        mail: Some(sink.mail_config("Support <support@example.com>")),
        ..EngineConfig::default()
    })
    .await;
    let otto = app.session("Otto").clone();
    let (vera, _) = app.visitor().await;
    let left = app
        .engine
        .leave_message(
            &vera,
            domain::followup::OfflineMessage {
                name: Some("Vera".into()),
                email: "vera@example.com".into(),
                message: "Где мой заказ? My order is late".into(),
                channel: None,
            },
        )
        .await
        .unwrap();
    let ticket = app.engine.ticket(&otto, left.id).await.unwrap().ticket;
    assert_eq!(ticket.subject, "Где мой заказ? My order is late");

    let err = app
        .engine
        .reply_to_ticket(&otto, left.id, "  ", TicketStatus::Pending)
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("body"));
    let view = app
        .engine
        .reply_to_ticket(
            &otto,
            left.id,
            "Your order left today — Ваш заказ отправлен.",
            TicketStatus::Pending,
        )
        .await
        .unwrap();
    assert_eq!(view.ticket.status, TicketStatus::Pending);
    let reply = view.articles.last().unwrap();
    assert_eq!(reply.kind, ArticleKind::Reply);
    assert_eq!(reply.recipient.as_deref(), Some("vera@example.com"));

    app.engine.run_mail().await.unwrap();
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].rcpt_to, vec!["vera@example.com".to_owned()]);
    assert_eq!(
        mails[0].subject,
        format!("Re: Где мой заказ? My order is late [#{}]", ticket.number)
    );
    assert!(
        mails[0].body.contains("Ваш заказ отправлен."),
        "{}",
        mails[0].body
    );
}

#[tokio::test]
async fn without_mail_a_reply_is_refused_and_nothing_is_written() {
    let app = app_with(EngineConfig::default()).await;
    let otto = app.session("Otto").clone();
    let (vera, _) = app.visitor().await;
    let left = app
        .engine
        .leave_message(
            &vera,
            domain::followup::OfflineMessage {
                name: None,
                email: "vera@example.com".into(),
                message: "Hello?".into(),
                channel: None,
            },
        )
        .await
        .unwrap();
    let err = app
        .engine
        .reply_to_ticket(&otto, left.id, "Hi", TicketStatus::Pending)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::MailNotConfigured);
    let view = app.engine.ticket(&otto, left.id).await.unwrap();
    assert_eq!(view.articles.len(), 1);
    assert_eq!(view.ticket.status, TicketStatus::Open);
}

#[tokio::test]
async fn operators_find_the_tickets_of_their_channels_and_their_own() {
    let app = app_with(EngineConfig::default()).await;
    let ada = app.session("Ada").clone();
    let olivia = app.session("Olivia").clone();
    let otto = app.session("Otto").clone();
    let sue = app.session("Sue").clone();
    let sales = app
        .engine
        .save_channel(
            &ada,
            ChannelForm {
                name: "Sales".into(),
                name_required: None,
                ..ChannelForm::default()
            },
        )
        .await
        .unwrap();
    app.engine
        .set_channel_operators(&ada, sales.id, vec![olivia.operator.id])
        .await
        .unwrap();
    let (vera, _) = app.visitor().await;
    let left = app
        .engine
        .leave_message(
            &vera,
            domain::followup::OfflineMessage {
                name: Some("Vera".into()),
                email: "vera@example.com".into(),
                message: "A quote for 40 seats".into(),
                channel: Some(sales.id),
            },
        )
        .await
        .unwrap();

    let found = |session| {
        let engine = app.engine.clone();
        async move {
            engine
                .tickets(&session, open_only())
                .await
                .unwrap()
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found(olivia.clone()).await, vec![left.id]);
    assert_eq!(found(sue.clone()).await, vec![left.id]);
    assert!(found(otto.clone()).await.is_empty());
    let err = app.engine.ticket(&otto, left.id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = app
        .engine
        .edit_ticket(&otto, left.id, TicketEdit::Status(TicketStatus::Closed))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);

    // Given to Otto, he finds it, in his own list too.
    app.engine
        .edit_ticket(&olivia, left.id, TicketEdit::Assign(Some(otto.operator.id)))
        .await
        .unwrap();
    assert_eq!(found(otto.clone()).await, vec![left.id]);
    let mine = app
        .engine
        .tickets(
            &otto,
            TicketFilter {
                status: None,
                mine: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(
        app.engine
            .tickets(
                &olivia,
                TicketFilter {
                    status: None,
                    mine: true,
                },
            )
            .await
            .unwrap()
            .is_empty()
    );
}
