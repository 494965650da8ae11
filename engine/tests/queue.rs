//! The queue waiting visitors stand in (V4), on a real database: places per channel, told to
//! exactly the visitors a change moves, and the wait estimate from recent accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::api::StartChat;
use domain::{ChatId, Signal};
use engine::ChannelForm;
use engine::store::VisitorRecord;
use engine::stream::{Audience, EventStream, StreamItem};
use test_support::TestApp;

/// A visitor's stream from now on.
async fn stream_of(app: &TestApp, visitor: &VisitorRecord) -> EventStream {
    let after = app.store.store().last_event_id().await.unwrap();
    app.engine.open_stream(Audience::Visitor(visitor.id), after)
}

/// The `queue` signals a stream has ready now: (position, estimate) per signal.
async fn places(stream: &mut EventStream, chat: ChatId) -> Vec<(u32, Option<u32>)> {
    let mut heard = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(400), stream.recv()).await
    {
        if let StreamItem::Signal(Signal::Queue {
            chat_id,
            position,
            estimated_wait_seconds,
        }) = item
        {
            assert_eq!(chat_id, chat, "a visitor is told only of their own chat");
            heard.push((position, estimated_wait_seconds));
        }
    }
    heard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn places_move_up_as_chats_ahead_are_taken_or_end_and_only_the_moved_are_told() {
    let app = TestApp::builder()
        .with_admin("Ada")
        .with_operator("Ann")
        .start()
        .await;
    let (ada, ann) = (app.session("Ada").clone(), app.session("Ann").clone());
    let sales = app
        .engine
        .save_channel(
            &ada,
            ChannelForm {
                id: None,
                name: "Sales".into(),
                archived: false,
                name_required: None,
                invitation_text: String::new(),
                invitation_name: String::new(),
                ..ChannelForm::default()
            },
        )
        .await
        .unwrap();

    let mut visitors = Vec::new();
    for n in 0..3 {
        let (visitor, _) = app.visitor().await;
        let chat = app.start_chat(&visitor, &format!("hello {n}")).await;
        // Nobody has taken a chat yet: a place, but no basis for an estimate.
        assert_eq!(chat.queue_position, Some(n + 1));
        assert_eq!(chat.estimated_wait_seconds, None);
        let stream = stream_of(&app, &visitor).await;
        visitors.push((visitor, chat.id, stream));
    }
    let (in_sales, _) = app.visitor().await;
    let sales_chat = app
        .engine
        .start_chat(
            &in_sales,
            StartChat {
                email: None,
                name: Some("Sam".into()),
                message: "about prices".into(),
                client_id: None,
                channel: Some(sales.id),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        sales_chat.queue_position,
        Some(1),
        "each channel has its own queue"
    );
    let mut sales_stream = stream_of(&app, &in_sales).await;

    // Ann takes the first chat: the two behind it move up, with an estimate now.
    app.engine.accept_chat(&ann, visitors[0].1).await.unwrap();
    let (_, first, stream) = &mut visitors[0];
    assert!(places(stream, *first).await.is_empty());
    let (_, second, stream) = &mut visitors[1];
    assert_eq!(places(stream, *second).await, [(1, Some(1800))]);
    let (_, third, stream) = &mut visitors[2];
    assert_eq!(places(stream, *third).await, [(2, Some(3600))]);
    assert!(places(&mut sales_stream, sales_chat.id).await.is_empty());

    // The second visitor gives up: the third is first now, and says so on reload too.
    let (second_visitor, second, _) = &visitors[1];
    app.engine
        .visitor_end(second_visitor, *second)
        .await
        .unwrap();
    let (third_visitor, third, stream) = &mut visitors[2];
    assert_eq!(places(stream, *third).await, [(1, Some(1800))]);
    let view = app.engine.visitor_view(third_visitor).await.unwrap();
    let chat = view.chat.unwrap();
    assert_eq!(
        (chat.queue_position, chat.estimated_wait_seconds),
        (Some(1), Some(1800))
    );

    // Moved to Sales, it keeps the time it waited: ahead of Sam, who is told he is second.
    app.engine
        .move_chat(&ada, *third, sales.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(places(stream, *third).await.is_empty(), "still first");
    assert_eq!(
        places(&mut sales_stream, sales_chat.id).await,
        [(2, Some(3600))]
    );
    // Taken chats have no place.
    let view = app.engine.visitor_view(&visitors[0].0).await.unwrap();
    assert_eq!(view.chat.unwrap().queue_position, None);
}
