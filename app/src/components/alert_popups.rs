//! Pop-ups for alerts that ask for an answer: a new chat, an invitation, a transfer, a private
//! chat. Each has its action (Accept, Accept, Assume, Open) and Dismiss, and goes away by
//! itself once out of date (e.g. another operator took the new chat).

use domain::console::{Alert, AlertKind, ChatAction, ConsoleModel};
use domain::{ChatStatus, OfferKind, OperatorId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{Console, Entry};

/// Whether a pop-up still asks a question I can answer.
pub fn still_open(model: &ConsoleModel, me: OperatorId, alert: &Alert) -> bool {
    let listed = model.dashboard.iter().find(|c| c.id() == alert.chat);
    let offered = |kind: OfferKind| {
        listed
            .and_then(|c| c.chat.offer_to(me))
            .is_some_and(|offer| offer.kind == kind)
    };
    match alert.kind {
        AlertKind::NewChat => listed.is_some_and(|c| c.status() == ChatStatus::Waiting),
        AlertKind::Invite => offered(OfferKind::Invite),
        AlertKind::Transfer => offered(OfferKind::Transfer),
        // The chat's tab is on its way (loading) or there.
        AlertKind::PrivateChat => {
            model.loading.iter().any(|(id, _)| *id == alert.chat)
                || model.my_chats.iter().any(|c| c.summary.id() == alert.chat)
        }
        AlertKind::Activity => false,
    }
}

fn kind_name(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::NewChat => "new_chat",
        AlertKind::Invite => "invite",
        AlertKind::Transfer => "transfer",
        AlertKind::PrivateChat => "private_chat",
        AlertKind::Activity => "activity",
    }
}

/// The pop-ups, in a corner of every console page.
#[component]
pub fn AlertPopups() -> impl IntoView {
    let console = expect_context::<Console>();
    let me = console
        .me
        .with_untracked(|me| me.as_ref().map(|me| me.id))
        .unwrap_or_default();
    // Drop pop-ups the chat's news made pointless.
    Effect::new(move |_| {
        let stale = console.model.with(|model| {
            console
                .alerts
                .with(|alerts| alerts.iter().any(|a| !still_open(model, me, a)))
        });
        if stale {
            console.model.with_untracked(|model| {
                console
                    .alerts
                    .update(|alerts| alerts.retain(|a| still_open(model, me, a)));
            });
        }
    });
    view! {
        <div class="toasts" aria-live="polite">
            <For
                each=move || console.alerts.get()
                key=|alert| (alert.chat, kind_name(alert.kind))
                children=move |alert| view! { <Popup alert /> }
            />
        </div>
    }
}

#[component]
fn Popup(alert: Alert) -> impl IntoView {
    let console = expect_context::<Console>();
    let chat = alert.chat;
    let kind = alert.kind;
    let dismiss = move || {
        console
            .alerts
            .update(|alerts| alerts.retain(|a| a.chat != chat));
    };
    let entry = match kind {
        AlertKind::NewChat => Some(Entry::Accept),
        AlertKind::Invite => Some(Entry::Action(ChatAction::AcceptInvite)),
        AlertKind::Transfer => Some(Entry::Action(ChatAction::Assume)),
        AlertKind::PrivateChat | AlertKind::Activity => None,
    };
    let label = match kind {
        AlertKind::Transfer => "Assume",
        AlertKind::PrivateChat | AlertKind::Activity => "Open",
        AlertKind::NewChat | AlertKind::Invite => "Accept",
    };
    let answer = move |_| {
        dismiss();
        let Some(entry) = entry else {
            console.open(chat);
            console.go_to.set(Some("/chats"));
            return;
        };
        spawn_local(async move {
            match console.enter(chat, entry).await {
                Ok(()) => console.go_to.set(Some("/chats")),
                Err(err) => console.report(&err),
            }
        });
    };
    view! {
        <div class="toast" role="alert" data-testid="alert-popup" data-kind=kind_name(kind) data-chat-id=chat.to_string()>
            <strong>{alert.title}</strong>
            <p>{alert.body}</p>
            <div class="buttons">
                <button class="primary" data-testid="alert-accept" on:click=answer>
                    {label}
                </button>
                <button class="link" data-testid="alert-dismiss" on:click=move |_| dismiss()>"Dismiss"</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::console::{ChatSummary, MyChat};
    use domain::{ChatId, EventId, Member, MemberRole, Offer, Timestamp};
    use uuid::Uuid;

    const ME: OperatorId = OperatorId(Uuid::from_u128(1));
    const ANN: OperatorId = OperatorId(Uuid::from_u128(2));
    const CHAT: ChatId = ChatId(Uuid::from_u128(7));

    fn alert(kind: AlertKind) -> Alert {
        Alert {
            chat: CHAT,
            kind,
            title: String::new(),
            body: String::new(),
        }
    }

    fn model_with(summary: ChatSummary) -> ConsoleModel {
        ConsoleModel {
            me: Some(ME),
            dashboard: vec![summary],
            ..ConsoleModel::default()
        }
    }

    #[test]
    fn a_new_chat_pop_up_lasts_while_the_chat_waits() {
        let mut summary = ChatSummary::new(CHAT, Timestamp(0));
        let model = model_with(summary.clone());
        assert!(still_open(&model, ME, &alert(AlertKind::NewChat)));
        summary.chat.status = ChatStatus::Active;
        summary.chat.members.push(Member {
            id: ANN,
            name: "Ann".into(),
            role: MemberRole::Participant,
        });
        assert!(!still_open(
            &model_with(summary),
            ME,
            &alert(AlertKind::NewChat)
        ));
        assert!(!still_open(
            &ConsoleModel::default(),
            ME,
            &alert(AlertKind::NewChat)
        ));
    }

    #[test]
    fn an_offer_pop_up_lasts_while_the_offer_is_pending() {
        let mut summary = ChatSummary::new(CHAT, Timestamp(0));
        summary.chat.status = ChatStatus::Active;
        summary.chat.offers.push(Offer {
            kind: OfferKind::Transfer,
            target: ME,
            target_name: "Me".into(),
            from: ANN,
            from_name: "Ann".into(),
        });
        let model = model_with(summary.clone());
        assert!(still_open(&model, ME, &alert(AlertKind::Transfer)));
        assert!(!still_open(&model, ME, &alert(AlertKind::Invite)));
        assert!(!still_open(&model, ANN, &alert(AlertKind::Transfer)));
        summary.chat.offers.clear();
        assert!(!still_open(
            &model_with(summary),
            ME,
            &alert(AlertKind::Transfer)
        ));
    }

    #[test]
    fn a_private_chat_pop_up_lasts_while_its_tab_loads_or_exists() {
        let mut model = ConsoleModel {
            me: Some(ME),
            ..ConsoleModel::default()
        };
        assert!(!still_open(&model, ME, &alert(AlertKind::PrivateChat)));
        model.loading.push((CHAT, Vec::new()));
        assert!(still_open(&model, ME, &alert(AlertKind::PrivateChat)));
        model.loading.clear();
        model.my_chats.push(MyChat {
            summary: ChatSummary::new(CHAT, Timestamp(0)),
            events: Vec::new(),
            read_up_to: EventId(0),
            visitor_seen_up_to: domain::EventId::default(),
            monitoring: Default::default(),
            folded_up_to: EventId(0),
        });
        assert!(still_open(&model, ME, &alert(AlertKind::PrivateChat)));
        assert!(!still_open(&model, ME, &alert(AlertKind::Activity)));
    }
}
