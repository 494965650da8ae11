//! Operator accounts on a real database (SQLite, or PostgreSQL with
//! `SWITCHBOARD_TEST_BACKEND=postgres`): only admins manage them, disabling ends sessions and
//! streams at once, and every operator edits their own profile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::console::Role;
use domain::{ErrorCode, OperatorId};
use engine::NewOperator;
use engine::stream::StreamItem;
use test_support::TestApp;

fn olga() -> NewOperator {
    NewOperator {
        email: "Olga@Example.com".into(),
        name: "Olga".into(),
        role: Role::Operator,
    }
}

#[tokio::test]
async fn only_admins_manage_operators_and_refusals_change_nothing() {
    let app = TestApp::builder()
        .with_admin("Ada")
        .with_account("operator", Role::Operator)
        .with_account("supervisor", Role::Supervisor)
        .start()
        .await;
    let engine = &app.engine;
    let admin = app.session("Ada").clone();
    for role in [Role::Operator, Role::Supervisor] {
        let caller = app.session(role.as_str()).clone();
        let before = engine.list_operators(&admin).await.unwrap();
        let forbidden = |result: Result<(), domain::Error>| {
            assert_eq!(result.unwrap_err().code, ErrorCode::Forbidden, "{role:?}");
        };
        forbidden(engine.list_operators(&caller).await.map(|_| ()));
        forbidden(engine.add_operator(&caller, olga()).await.map(|_| ()));
        forbidden(
            engine
                .edit_operator(&caller, admin.operator.id, olga())
                .await
                .map(|_| ()),
        );
        forbidden(
            engine
                .set_operator_disabled(&caller, admin.operator.id, true)
                .await
                .map(|_| ()),
        );
        assert_eq!(engine.list_operators(&admin).await.unwrap(), before);
    }
}

#[tokio::test]
async fn admins_create_and_edit_operators_with_unique_valid_emails() {
    let app = TestApp::builder().with_admin("Ada").start().await;
    let engine = &app.engine;
    let admin = app.session("Ada").clone();
    let created = engine.add_operator(&admin, olga()).await.unwrap();
    assert_eq!(created.email, "olga@example.com");
    assert!(created.must_change_password && !created.disabled);
    let again = engine.add_operator(&admin, olga()).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidField);
    let bad = NewOperator {
        email: "not an email".into(),
        ..olga()
    };
    assert_eq!(
        engine.add_operator(&admin, bad).await.unwrap_err().code,
        ErrorCode::InvalidField
    );
    let edited = engine
        .edit_operator(
            &admin,
            created.id,
            NewOperator {
                email: "olga.o@example.com".into(),
                name: "Olga Orlova".into(),
                role: Role::Supervisor,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.email.as_str(), edited.name.as_str(), edited.role),
        ("olga.o@example.com", "Olga Orlova", Role::Supervisor)
    );
    let taken = NewOperator {
        email: admin.operator.email.clone(),
        ..olga()
    };
    assert_eq!(
        engine
            .edit_operator(&admin, created.id, taken)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidField
    );
    // An admin cannot lock themselves out.
    let demote = NewOperator {
        email: admin.operator.email.clone(),
        name: "Ada".into(),
        role: Role::Operator,
    };
    assert_eq!(
        engine
            .edit_operator(&admin, admin.operator.id, demote)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        engine
            .set_operator_disabled(&admin, admin.operator.id, true)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    let unknown = OperatorId(uuid::Uuid::nil());
    assert!(
        engine
            .set_operator_disabled(&admin, unknown, true)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn disabling_ends_sessions_and_streams_at_once_and_enabling_lets_them_back() {
    let app = TestApp::builder()
        .with_admin("Ada")
        .with_operator("Olga")
        .start()
        .await;
    let engine = &app.engine;
    let admin = app.session("Ada").clone();
    let olga = app.session("Olga").clone();
    let token_hash = olga.token_hash.clone();
    let audience = engine
        .operator_audience(&olga, domain::reach::Interest::All)
        .await
        .unwrap();
    let mut stream = engine.open_stream(audience, domain::EventId(0));

    engine
        .set_operator_disabled(&admin, olga.operator.id, true)
        .await
        .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(item) = stream.recv().await {
            assert!(!matches!(item, StreamItem::Lagged));
        }
    })
    .await;
    assert!(ended.is_ok(), "the disabled operator's stream must close");
    assert!(
        app.store
            .store()
            .session(&token_hash)
            .await
            .unwrap()
            .is_none()
    );
    let login = engine.login("olga@example.com", "s3cret-pass").await;
    assert_eq!(login.unwrap_err().code, ErrorCode::InvalidCredentials);
    let online = engine.online_operators(&admin).await.unwrap();
    assert!(online.iter().all(|o| o.id != olga.operator.id));

    engine
        .set_operator_disabled(&admin, olga.operator.id, false)
        .await
        .unwrap();
    engine
        .login("olga@example.com", "s3cret-pass")
        .await
        .unwrap();
}

#[tokio::test]
async fn operators_edit_their_own_profile() {
    let app = TestApp::builder().with_operator("Olga").start().await;
    let engine = &app.engine;
    let olga = app.session("Olga").clone();
    let saved = engine
        .save_profile(&olga, " Olga O. ", "en, de-AT", "Olga from Support")
        .await
        .unwrap();
    assert_eq!(saved.chat_name, "Olga O.");
    assert_eq!(saved.languages, vec!["en", "de-AT"]);
    assert_eq!(saved.invitation_name, "Olga from Support");
    assert_eq!(engine.profile(&olga).await.unwrap(), saved);
    // The chat name is what visitors see from now on.
    let (_, record) = app
        .store
        .store()
        .session(&olga.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.display_name(), "Olga O.");
    let bad = engine.save_profile(&olga, "x", "english!", "").await;
    assert_eq!(bad.unwrap_err().code, ErrorCode::InvalidField);
    let long = "x".repeat(81);
    let bad = engine.save_profile(&olga, &long, "", "").await;
    assert_eq!(bad.unwrap_err().code, ErrorCode::InvalidField);
    assert_eq!(
        engine.profile(&olga).await.unwrap(),
        saved,
        "refusals change nothing"
    );
    // Blank names fall back to the full name.
    let cleared = engine.save_profile(&olga, "", "", "").await.unwrap();
    assert_eq!(cleared.shown_name(), "Olga");
}

#[tokio::test]
async fn canned_messages_are_shared_by_supervisors_or_kept_by_each_operator() {
    let app = TestApp::builder()
        .with_account("Sue", Role::Supervisor)
        .with_operator("Olga")
        .with_operator("Paul")
        .start()
        .await;
    let engine = &app.engine;
    let sue = app.session("Sue").clone();
    let olga = app.session("Olga").clone();
    let paul = app.session("Paul").clone();
    let shared = engine
        .save_canned(&sue, None, true, "Greeting", "/hello", "Hello! I'm %name%.")
        .await
        .unwrap();
    assert_eq!(shared.shortcut, "hello");
    let refused = engine
        .save_canned(&olga, None, true, "Mine", "mine", "x")
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    let own = engine
        .save_canned(&olga, None, false, "My hello", "hello", "Hi %visitor%!")
        .await
        .unwrap();
    let duplicate = engine
        .save_canned(&olga, None, false, "Again", "HELLO", "x")
        .await
        .unwrap_err();
    assert_eq!(duplicate.code, ErrorCode::InvalidField);
    // Each sees the shared ones and their own, never someone else's.
    let olgas = engine.canned_messages(&olga).await.unwrap();
    assert_eq!(olgas.len(), 2);
    let pauls = engine.canned_messages(&paul).await.unwrap();
    assert_eq!(pauls, vec![shared.clone()]);
    for (who, id) in [(&paul, own.id), (&olga, shared.id)] {
        let err = engine
            .save_canned(who, Some(id), false, "t", "s", "b")
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        let err = engine.delete_canned(who, id).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
    }
    let edited = engine
        .save_canned(
            &sue,
            Some(shared.id),
            true,
            "Greeting",
            "hi",
            "Hello, I'm %name%.",
        )
        .await
        .unwrap();
    assert_eq!(edited.id, shared.id);
    engine.delete_canned(&olga, own.id).await.unwrap();
    assert_eq!(engine.canned_messages(&olga).await.unwrap(), vec![edited]);
}

#[tokio::test]
async fn the_action_log_records_chat_controls_and_admin_changes_and_filters_them() {
    use domain::api::{NewVisitor, StartChat};
    use domain::console::ChatAction;
    use domain::log::{ActionFilter, PAGE_SIZE};

    let app = TestApp::builder()
        .with_admin("Ada")
        .with_operator("Paula")
        .start()
        .await;
    let engine = &app.engine;
    let mut admin = app.session("Ada").clone();
    admin.ip = Some("203.0.113.7".into());
    let created = engine.add_operator(&admin, olga()).await.unwrap();
    engine
        .set_operator_disabled(&admin, created.id, true)
        .await
        .unwrap();
    engine
        .set_operator_disabled(&admin, created.id, false)
        .await
        .unwrap();

    let visitor = engine
        .create_visitor(NewVisitor::default(), None)
        .await
        .unwrap();
    let visitor = engine.authenticate_visitor(&visitor.token).await.unwrap();
    let chat = engine
        .start_chat(
            &visitor,
            StartChat {
                email: None,
                name: Some("Vera".into()),
                message: "hi".into(),
                client_id: None,
                channel: None,
            },
        )
        .await
        .unwrap();
    engine.accept_chat(&admin, chat.id).await.unwrap();
    engine
        .operator_post(&admin, chat.id, "hello", None, false)
        .await
        .unwrap();
    for action in [
        ChatAction::Hold,
        ChatAction::Hold,
        ChatAction::Resume,
        ChatAction::Kick,
    ] {
        engine
            .operator_command(&admin, chat.id, &action.command())
            .await
            .unwrap();
    }

    let all = engine
        .action_log(&admin, &ActionFilter::default())
        .await
        .unwrap();
    // Setting up the accounts logged in and changed passwords: not what this test looks at.
    let entries: Vec<_> = all
        .entries
        .iter()
        .filter(|e| !["login", "change_password"].contains(&e.action.as_str()))
        .collect();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    // Newest first; messages are not actions; holding a held chat changed nothing.
    assert_eq!(
        actions,
        [
            "kick",
            "resume",
            "hold",
            "accept",
            "enable_operator",
            "disable_operator",
            "add_operator"
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.ip.as_deref() == Some("203.0.113.7"))
    );
    assert_eq!(entries[6].object.as_deref(), Some("olga@example.com"));
    assert_eq!(entries[0].chat, Some(chat.id));
    assert_eq!(all.next_before, None);

    let in_chat = ActionFilter {
        chat: Some(chat.id),
        ..ActionFilter::default()
    };
    assert_eq!(
        engine
            .action_log(&admin, &in_chat)
            .await
            .unwrap()
            .entries
            .len(),
        4
    );
    let kicks = ActionFilter {
        action: Some("kick".into()),
        ..ActionFilter::default()
    };
    assert_eq!(
        engine
            .action_log(&admin, &kicks)
            .await
            .unwrap()
            .entries
            .len(),
        1
    );
    let nobody = ActionFilter {
        operator: Some(created.id),
        ..ActionFilter::default()
    };
    assert!(
        engine
            .action_log(&admin, &nobody)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    let later = ActionFilter {
        from: Some(domain::Timestamp(all.entries[0].at.0 + 1)),
        ..ActionFilter::default()
    };
    assert!(
        engine
            .action_log(&admin, &later)
            .await
            .unwrap()
            .entries
            .is_empty()
    );

    // Pages of PAGE_SIZE, newest first, with no entry twice.
    for i in 0..PAGE_SIZE {
        engine
            .save_canned(&admin, None, true, "t", &format!("s{i}"), "b")
            .await
            .unwrap();
    }
    let first = engine
        .action_log(&admin, &ActionFilter::default())
        .await
        .unwrap();
    assert_eq!(i64::try_from(first.entries.len()).unwrap(), PAGE_SIZE);
    let next = ActionFilter {
        before: first.next_before,
        ..ActionFilter::default()
    };
    let second = engine.action_log(&admin, &next).await.unwrap();
    assert_eq!(second.entries.len(), all.entries.len());
    assert_eq!(second.next_before, None);
    assert!(second.entries[0].id < first.entries.last().unwrap().id);

    // Operators may not read it.
    let olga = app.session("Paula").clone();
    let refused = engine.action_log(&olga, &ActionFilter::default()).await;
    assert_eq!(refused.unwrap_err().code, ErrorCode::Forbidden);
}

#[tokio::test]
async fn logins_logouts_and_password_changes_are_in_the_action_log_with_the_address() {
    let app = TestApp::builder().with_admin("Ada").start().await;
    let engine = &app.engine;
    let admin = app.session("Ada").clone();
    engine.create_operator(olga()).await.unwrap();
    let from = Some("198.51.100.4".to_owned());
    let wrong = engine
        .login_from("olga@example.com", "not-her-password", from.clone())
        .await;
    assert!(wrong.is_err());
    assert!(
        engine
            .login_from("nobody@example.com", "password", from.clone())
            .await
            .is_err()
    );
    let login = engine
        .login_from("olga@example.com", "password", from.clone())
        .await
        .unwrap();
    let mut session = engine.authenticate(&login.token).await.unwrap();
    session.ip.clone_from(&from);
    engine
        .change_password(&session, "password", "s3cret-pass")
        .await
        .unwrap();
    let login = engine
        .login_from("olga@example.com", "s3cret-pass", from.clone())
        .await
        .unwrap();
    let mut session = engine.authenticate(&login.token).await.unwrap();
    session.ip.clone_from(&from);
    engine.logout(&session).await.unwrap();

    let log = engine
        .action_log(&admin, &domain::log::ActionFilter::default())
        .await
        .unwrap();
    let olgas: Vec<(&str, Option<&str>)> = log
        .entries
        .iter()
        .filter(|e| e.ip == from)
        .map(|e| (e.action.as_str(), e.object.as_deref()))
        .collect();
    assert_eq!(
        olgas,
        [
            ("logout", None),
            ("login", None),
            ("change_password", None),
            ("login", None),
            ("login_failed", None),
        ]
    );
    let failed_for_olga = &log.entries[log.entries.len()
        - 1
        - log
            .entries
            .iter()
            .rev()
            .position(|e| e.action == "login_failed" && e.object.is_none())
            .unwrap()];
    assert_eq!(failed_for_olga.operator_name, "Olga");
}
