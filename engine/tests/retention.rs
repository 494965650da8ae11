//! Retention (P6) on a real database (SQLite, or PostgreSQL with
//! `SWITCHBOARD_TEST_BACKEND=postgres`): the purge deletes closed chats past the setting with
//! everything hanging off them and nothing else; admins export and erase a visitor, each
//! recorded in the action log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::console::ChatAction;
use domain::history::HistoryQuery;
use domain::log::ActionFilter;
use domain::rating::RateChat;
use domain::{ChatId, ErrorCode, EventKind, Timestamp};
use engine::store::VisitorRecord;
use engine::{Clock, EngineConfig, Session};
use test_support::TestApp;

const START: i64 = 1_800_000_000_000;
const DAY: i64 = 86_400_000;

async fn app() -> (TestApp, Clock) {
    let clock = Clock::manual(Timestamp(START));
    let app = TestApp::builder()
        .with_config(EngineConfig {
            clock: clock.clone(),
            ..EngineConfig::default()
        })
        .with_operator("Olivia")
        .with_admin("Ada")
        .start()
        .await;
    (app, clock)
}

/// A chat Olivia answers with `word`, then closes; the visitor rates it.
async fn closed_chat(app: &TestApp, word: &str) -> (VisitorRecord, ChatId) {
    let olivia = app.session("Olivia").clone();
    let (visitor, _) = app.visitor().await;
    let chat = app.start_chat(&visitor, word).await.id;
    app.engine.accept_chat(&olivia, chat).await.unwrap();
    app.engine
        .operator_post(&olivia, chat, &format!("{word} indeed"), None, false)
        .await
        .unwrap();
    app.engine
        .operator_command(&olivia, chat, &ChatAction::Close.command())
        .await
        .unwrap();
    app.engine
        .visitor_rate(
            &visitor,
            chat,
            &RateChat {
                stars: 4,
                comment: None,
            },
        )
        .await
        .unwrap();
    (visitor, chat)
}

async fn set_retention(app: &TestApp, admin: &Session, days: &str) {
    let mut form = app.engine.settings_for(admin).await.unwrap().form();
    form.retention_days = days.into();
    app.engine.save_settings(admin, &form).await.unwrap();
}

async fn found(app: &TestApp, who: &Session, words: &str) -> usize {
    app.engine
        .search_history(
            who,
            &HistoryQuery {
                words: words.into(),
                ..HistoryQuery::default()
            },
        )
        .await
        .unwrap()
        .hits
        .len()
}

#[tokio::test]
async fn the_purge_deletes_closed_chats_past_the_setting_and_keeps_the_rest() {
    let (app, clock) = app().await;
    let ada = app.session("Ada").clone();
    let (_, old) = closed_chat(&app, "ancient").await;
    clock.advance(20 * DAY);
    let (_, recent) = closed_chat(&app, "recent").await;
    let olivia = app.session("Olivia").clone();
    let (talking, _) = app.visitor().await;
    let open = app.start_chat(&talking, "ongoing").await.id;
    app.engine.accept_chat(&olivia, open).await.unwrap();
    clock.advance(20 * DAY);

    // Kept for ever by default.
    assert_eq!(app.engine.purge_expired().await.unwrap(), 0);
    set_retention(&app, &ada, "30").await;
    assert_eq!(app.engine.purge_expired().await.unwrap(), 1);
    // Again: nothing more to do.
    assert_eq!(app.engine.purge_expired().await.unwrap(), 0);

    let store = app.shared_store();
    assert!(store.chat(old).await.unwrap().is_none());
    assert!(store.chat_events(old).await.unwrap().is_empty());
    assert!(store.chat(recent).await.unwrap().is_some());
    assert!(store.chat(open).await.unwrap().is_some(), "open chats stay");
    assert_eq!(
        found(&app, &ada, "ancient").await,
        0,
        "nor found in history"
    );
    assert_eq!(found(&app, &ada, "recent").await, 1);
    let err = app
        .engine
        .operator_transcript(&ada, old, false)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotFound);

    // The rest of the log goes on.
    app.engine
        .operator_post(&olivia, open, "still here", None, false)
        .await
        .unwrap();
    clock.advance(40 * DAY);
    assert_eq!(
        app.engine.purge_expired().await.unwrap(),
        1,
        "the recent one now"
    );
}

#[tokio::test]
async fn admins_export_and_erase_a_visitor_and_the_log_says_so() {
    let (app, _) = app().await;
    let ada = app.session("Ada").clone();
    let olivia = app.session("Olivia").clone();
    let (vera, chat) = closed_chat(&app, "parcel").await;
    let (_, other_chat) = closed_chat(&app, "parcel").await;

    // Only admins.
    let err = app
        .engine
        .export_visitor(&olivia, vera.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let err = app
        .engine
        .erase_visitor(&olivia, vera.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    let found = app
        .engine
        .find_visitors(&ada, &vera.id.to_string())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let export = app.engine.export_visitor(&ada, vera.id).await.unwrap();
    assert_eq!(export.visitor.id, vera.id);
    assert_eq!(export.chats.len(), 1);
    assert_eq!(export.chats[0].id, chat);
    assert!(
        export.chats[0]
            .events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ChatRated { stars: 4, .. }))
    );
    let json = serde_json::to_string(&export).unwrap();
    assert!(json.contains("parcel indeed"), "{json}");

    let erased = app.engine.erase_visitor(&ada, vera.id).await.unwrap();
    assert_eq!((erased.chats, erased.messages), (1, 0));
    let store = app.shared_store();
    assert!(store.visitor_by_id(vera.id).await.unwrap().is_none());
    assert!(store.chat(chat).await.unwrap().is_none());
    assert!(
        store.chat(other_chat).await.unwrap().is_some(),
        "others stay"
    );
    assert_eq!(self::found(&app, &ada, "parcel").await, 1);
    let err = app.engine.erase_visitor(&ada, vera.id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);

    let log = app
        .engine
        .action_log(&ada, &ActionFilter::default())
        .await
        .unwrap();
    let actions: Vec<(&str, Option<&str>)> = log
        .entries
        .iter()
        .map(|e| (e.action.as_str(), e.object.as_deref()))
        .filter(|(a, _)| a.ends_with("_visitor"))
        .collect();
    let id = vera.id.to_string();
    assert_eq!(
        actions,
        [
            ("erase_visitor", Some(id.as_str())),
            ("export_visitor", Some(id.as_str()))
        ]
    );
}

#[tokio::test]
async fn a_visitor_in_a_chat_that_is_not_closed_is_not_erased() {
    let (app, _) = app().await;
    let ada = app.session("Ada").clone();
    let (visitor, _) = app.visitor().await;
    let chat = app.start_chat(&visitor, "hello").await.id;
    let err = app
        .engine
        .erase_visitor(&ada, visitor.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotActive);
    assert!(app.shared_store().chat(chat).await.unwrap().is_some());
    let err = app
        .engine
        .find_visitors(&ada, "not an id or an email")
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("visitor"));
}
