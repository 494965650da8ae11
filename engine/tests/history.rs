//! History search (O28) on a real database (SQLite FTS5, or PostgreSQL's tsvector with
//! `SWITCHBOARD_TEST_BACKEND=postgres`): words, ranking, excerpts, the filters, paging — and
//! that operators find only the chats they have been in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::api::StartChat;
use domain::console::{ChatAction, Role};
use domain::history::{HistoryPage, HistoryQuery, PAGE_SIZE};
use domain::rating::RateChat;
use domain::{ChatId, ErrorCode, Timestamp};
use engine::{ChannelForm, Clock, EngineConfig, Session};
use test_support::TestApp;

const START: i64 = 1_800_000_000_000;
const HOUR: i64 = 3_600_000;

async fn app() -> (TestApp, Clock) {
    let clock = Clock::manual(Timestamp(START));
    let app = TestApp::builder()
        .with_config(EngineConfig {
            clock: clock.clone(),
            ..EngineConfig::default()
        })
        .with_operator("Olivia")
        .with_operator("Bob")
        .with_account("Sue", Role::Supervisor)
        .with_admin("Ada")
        .start()
        .await;
    (app, clock)
}

/// A chat `name` starts with `first`, `operator` accepts and answers `reply`, then closes it;
/// the visitor rates it when `stars` is given.
async fn chat(
    app: &TestApp,
    name: &str,
    first: &str,
    operator: &Session,
    reply: &str,
    stars: Option<i64>,
    channel: Option<domain::ChannelId>,
) -> ChatId {
    let (visitor, _) = app.visitor().await;
    let chat = app
        .engine
        .start_chat(
            &visitor,
            StartChat {
                email: None,
                name: Some(name.into()),
                message: first.into(),
                client_id: None,
                channel,
            },
        )
        .await
        .unwrap()
        .id;
    app.engine.accept_chat(operator, chat).await.unwrap();
    app.engine
        .operator_post(operator, chat, reply, None, false)
        .await
        .unwrap();
    app.engine
        .operator_command(operator, chat, &ChatAction::Close.command())
        .await
        .unwrap();
    if let Some(stars) = stars {
        app.engine
            .visitor_rate(
                &visitor,
                chat,
                &RateChat {
                    stars,
                    comment: None,
                },
            )
            .await
            .unwrap();
    }
    chat
}

async fn search(app: &TestApp, who: &Session, query: HistoryQuery) -> HistoryPage {
    app.engine.search_history(who, &query).await.unwrap()
}

fn words(text: &str) -> HistoryQuery {
    HistoryQuery {
        words: text.into(),
        ..HistoryQuery::default()
    }
}

fn ids(page: &HistoryPage) -> Vec<ChatId> {
    page.hits.iter().map(|h| h.chat).collect()
}

#[tokio::test]
async fn words_find_messages_best_first_with_the_match_marked() {
    let (app, clock) = app().await;
    let sue = app.session("Sue").clone();
    let olivia = app.session("Olivia").clone();
    let bob = app.session("Bob").clone();
    let weak = chat(
        &app,
        "Walter",
        "Hello, I have many questions about shipping, colours, sizes and maybe a refund later",
        &olivia,
        "Sure, ask away",
        None,
        None,
    )
    .await;
    clock.advance(HOUR);
    let strong = chat(
        &app,
        "Rita",
        "Refund! I want a refund, refund now",
        &bob,
        "Your refund is on its way",
        Some(2),
        None,
    )
    .await;
    clock.advance(HOUR);
    let other = chat(
        &app,
        "Carl",
        "Un Café crème, s'il vous plaît — 你好世界",
        &bob,
        "Voilà",
        None,
        None,
    )
    .await;

    let page = search(&app, &sue, words("refund")).await;
    assert_eq!(
        ids(&page),
        vec![strong, weak],
        "the chat about refunds first"
    );
    let excerpt = &page.hits[0].excerpt;
    assert!(
        excerpt
            .iter()
            .any(|f| f.hit && f.text.eq_ignore_ascii_case("refund")),
        "{excerpt:?}"
    );
    assert_eq!(page.hits[0].visitor, "Rita");
    assert_eq!(page.hits[0].operators, vec!["Bob".to_owned()]);
    assert_eq!(page.hits[0].rating, Some(2));

    // Prefixes, case, every word required, Unicode; query syntax is only words.
    assert_eq!(
        ids(&search(&app, &sue, words("REFU")).await),
        vec![strong, weak]
    );
    assert_eq!(
        ids(&search(&app, &sue, words("refund shipping")).await),
        vec![weak]
    );
    assert_eq!(ids(&search(&app, &sue, words("CAFÉ")).await), vec![other]);
    assert_eq!(ids(&search(&app, &sue, words("你好")).await), vec![other]);
    assert_eq!(
        ids(&search(&app, &sue, words("refund OR café")).await),
        Vec::<ChatId>::new()
    );
    assert!(
        search(&app, &sue, words("\" ( * ) : -")).await.hits.len() == 3,
        "punctuation alone is no condition: newest first"
    );
    // No words: every chat, newest first, without excerpts.
    let all = search(&app, &sue, HistoryQuery::default()).await;
    assert_eq!(ids(&all), vec![other, strong, weak]);
    assert!(all.hits.iter().all(|h| h.excerpt.is_empty()));
}

#[tokio::test]
async fn operators_find_only_chats_they_were_in_supervisors_and_admins_all() {
    let (app, _) = app().await;
    let olivia = app.session("Olivia").clone();
    let bob = app.session("Bob").clone();
    let hers = chat(
        &app,
        "Vera",
        "refund for order 42",
        &olivia,
        "ok",
        None,
        None,
    )
    .await;
    let his = chat(&app, "Walt", "refund please", &bob, "sure", None, None).await;

    assert_eq!(
        ids(&search(&app, &olivia, words("refund")).await),
        vec![hers]
    );
    assert_eq!(ids(&search(&app, &bob, words("refund")).await), vec![his]);
    assert_eq!(
        ids(&search(&app, &bob, HistoryQuery::default()).await),
        vec![his]
    );
    for boss in ["Sue", "Ada"] {
        let who = app.session(boss).clone();
        let mut found = ids(&search(&app, &who, words("refund")).await);
        found.sort();
        let mut both = vec![hers, his];
        both.sort();
        assert_eq!(found, both, "{boss}");
    }
    // And what they cannot find, they cannot read.
    let err = app
        .engine
        .operator_transcript(&bob, hers, true)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotFound);
}

#[tokio::test]
async fn filters_narrow_by_visitor_operator_channel_dates_and_rating_and_pages_follow() {
    let (app, clock) = app().await;
    let ada = app.session("Ada").clone();
    let olivia = app.session("Olivia").clone();
    let bob = app.session("Bob").clone();
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
    let first = chat(&app, "Vera Stone", "hi", &olivia, "hello", Some(5), None).await;
    clock.advance(24 * HOUR);
    let second = chat(
        &app,
        "Walter 100%",
        "hi",
        &bob,
        "hello",
        Some(3),
        Some(sales.id),
    )
    .await;

    let by = |query: HistoryQuery| {
        let ada = ada.clone();
        let app = &app;
        async move { ids(&search(app, &ada, query).await) }
    };
    assert_eq!(
        by(HistoryQuery {
            visitor: "stone".into(),
            ..HistoryQuery::default()
        })
        .await,
        vec![first]
    );
    // A wildcard typed by the user is a character, not a wildcard.
    assert_eq!(
        by(HistoryQuery {
            visitor: "100%".into(),
            ..HistoryQuery::default()
        })
        .await,
        vec![second]
    );
    assert_eq!(
        by(HistoryQuery {
            visitor: "_".into(),
            ..HistoryQuery::default()
        })
        .await,
        Vec::<ChatId>::new()
    );
    assert_eq!(
        by(HistoryQuery {
            operator: "oliv".into(),
            ..HistoryQuery::default()
        })
        .await,
        vec![first]
    );
    assert_eq!(
        by(HistoryQuery {
            channel: Some(sales.id),
            ..HistoryQuery::default()
        })
        .await,
        vec![second]
    );
    assert_eq!(
        by(HistoryQuery {
            rating: Some(5),
            ..HistoryQuery::default()
        })
        .await,
        vec![first]
    );
    assert_eq!(
        by(HistoryQuery {
            from: Some(Timestamp(START + HOUR)),
            ..HistoryQuery::default()
        })
        .await,
        vec![second]
    );
    assert_eq!(
        by(HistoryQuery {
            to: Some(Timestamp(START + HOUR)),
            ..HistoryQuery::default()
        })
        .await,
        vec![first]
    );
    let err = app
        .engine
        .search_history(
            &ada,
            &HistoryQuery {
                rating: Some(9),
                ..HistoryQuery::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("rating"));

    // Paging: PAGE_SIZE a page, `more` while there is more.
    for n in 0..PAGE_SIZE {
        clock.advance(1000);
        chat(
            &app,
            &format!("Bulk {n}"),
            "bulk order",
            &bob,
            "ok",
            None,
            None,
        )
        .await;
    }
    let page0 = search(&app, &ada, words("bulk")).await;
    assert_eq!((page0.hits.len(), page0.more), (PAGE_SIZE as usize, false));
    let all = search(&app, &ada, HistoryQuery::default()).await;
    assert!(all.more);
    let next = search(
        &app,
        &ada,
        HistoryQuery {
            page: 1,
            ..HistoryQuery::default()
        },
    )
    .await;
    assert_eq!((ids(&next), next.more), (vec![second, first], false));
}

#[tokio::test]
async fn reports_read_the_figures_from_the_log_for_supervisors_and_admins_only() {
    let (app, clock) = app().await;
    let ada = app.session("Ada").clone();
    let sue = app.session("Sue").clone();
    let olivia = app.session("Olivia").clone();
    let bob = app.session("Bob").clone();
    let second = 1000;
    // Olivia takes the first chat after 10 s, answers at 20 s, closes at 300 s; rated 5.
    let (vera, _) = app.visitor().await;
    let first = app.start_chat(&vera, "hello").await.id;
    clock.advance(10 * second);
    app.engine.accept_chat(&olivia, first).await.unwrap();
    clock.advance(10 * second);
    app.engine
        .operator_post(&olivia, first, "hi", None, false)
        .await
        .unwrap();
    clock.advance(280 * second);
    app.engine
        .operator_command(&olivia, first, &ChatAction::Close.command())
        .await
        .unwrap();
    app.engine
        .visitor_rate(
            &vera,
            first,
            &RateChat {
                stars: 5,
                comment: None,
            },
        )
        .await
        .unwrap();
    // Bob takes the next after 30 s, answers at 40 s, closes at 100 s; rated 2.
    let (walt, _) = app.visitor().await;
    let next = app.start_chat(&walt, "hello").await.id;
    clock.advance(30 * second);
    app.engine.accept_chat(&bob, next).await.unwrap();
    clock.advance(10 * second);
    app.engine
        .operator_post(&bob, next, "hi", None, false)
        .await
        .unwrap();
    clock.advance(60 * second);
    app.engine
        .operator_command(&bob, next, &ChatAction::Close.command())
        .await
        .unwrap();
    app.engine
        .visitor_rate(
            &walt,
            next,
            &RateChat {
                stars: 2,
                comment: None,
            },
        )
        .await
        .unwrap();
    // A visitor gives up after 45 s.
    let (gone, _) = app.visitor().await;
    let missed = app.start_chat(&gone, "anyone?").await.id;
    clock.advance(45 * second);
    app.engine.visitor_end(&gone, missed).await.unwrap();

    let query = domain::report::ReportQuery {
        from: Timestamp(START - 24 * HOUR),
        to: Timestamp(START + 24 * HOUR),
        channel: None,
    };
    let err = app.engine.report(&olivia, &query).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let report = app.engine.report(&sue, &query).await.unwrap();
    assert_eq!(report, app.engine.report(&ada, &query).await.unwrap());
    let total = &report.total;
    assert_eq!((total.chats, total.missed), (3, 1));
    assert_eq!(total.waiting.count, 2);
    assert_eq!(total.waiting.median_ms, Some(10_000));
    assert_eq!(total.waiting.p90_ms, Some(30_000));
    assert_eq!(total.first_response.median_ms, Some(20_000));
    assert_eq!(total.duration.p90_ms, Some(300_000));
    assert_eq!(total.rating_average_x100, Some(350));
    let per: Vec<(&str, u32, Option<u32>)> = report
        .operators
        .iter()
        .map(|o| {
            (
                o.name.as_str(),
                o.figures.chats,
                o.figures.rating_average_x100,
            )
        })
        .collect();
    assert_eq!(per, [("Bob", 1, Some(200)), ("Olivia", 1, Some(500))]);
    assert!(
        report
            .to_csv()
            .contains("\r\nOlivia,1,0,10.000,10.000,20.000,20.000,300.000,300.000,1,5.00\r\n")
    );

    // Another channel's report, and a range with nothing in it.
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
    let in_sales = app
        .engine
        .report(
            &ada,
            &domain::report::ReportQuery {
                channel: Some(sales.id),
                ..query.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(in_sales.total.chats, 0);
    let later = app
        .engine
        .report(
            &ada,
            &domain::report::ReportQuery {
                from: Timestamp(START + 24 * HOUR),
                to: Timestamp(START + 48 * HOUR),
                channel: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(later.total.chats, 0);
}
