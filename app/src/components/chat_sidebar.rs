//! The chat sidebar: status, who is in the chat, the requests I made, the control buttons
//! (invite, transfer, leave, kick, close, hold, new window, monitoring) and the visitor tree.
//! It offers only what makes sense for my role; the server decides the rest.

use domain::console::{ChatAction, ChatSummary, Dot, Monitoring};
use domain::{ChatId, ChatStatus, MemberRole, OfferKind, OperatorId};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::components::channel_move::ChannelMove;
use crate::components::chat_panel::PanelMode;
use crate::components::downloads::Downloads;
use crate::components::operator_picker::OperatorPicker;
use crate::components::ticket_form::TicketForm;
use crate::components::time::clock;
use crate::components::visitor_tree::VisitorTree;
use crate::state::Console;

/// The sidebar of one of my chats.
#[component]
pub fn ChatSidebar(
    chat: ChatId,
    me: OperatorId,
    summary: Memo<Option<ChatSummary>>,
    role: Signal<Option<MemberRole>>,
    mode: PanelMode,
) -> impl IntoView {
    let private = summary.with_untracked(|s| s.as_ref().is_some_and(|s| s.chat.is_private()));
    let status = move || summary.with(|s| s.as_ref().map(|s| s.status().as_str()));
    let started = move || summary.with(|s| s.as_ref().map(|s| clock(s.started_at)));
    // Erased: the sidebar's full view type is too deep for the compiler inside My Chats.
    view! {
        <aside class="sidebar-info" data-testid="chat-sidebar">
            <dl class="facts">
                <dt>"Status"</dt>
                <dd data-testid="chat-status">{status}</dd>
                <dt>"Started"</dt>
                <dd>{started} " UTC"</dd>
                {(!private).then(|| view! { <ChannelMove chat summary /> })}
            </dl>
            <Controls chat me summary role mode private />
            <People me summary />
            <MyOffers chat me summary />
            {(!private).then(|| view! { <VisitorTree chat /> })}
        </aside>
    }
    .into_any_at_once()
}

/// A control that asks before it acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Confirm {
    /// Leaving as the last participant.
    Leave,
    /// Ending the chat for the visitor.
    Kick,
    /// Closing the chat for everyone.
    Close,
}

impl Confirm {
    fn action(self) -> ChatAction {
        match self {
            Self::Leave => ChatAction::Leave,
            Self::Kick => ChatAction::Kick,
            Self::Close => ChatAction::Close,
        }
    }

    /// The confirming button's test id and label.
    fn button(self) -> (&'static str, &'static str) {
        match self {
            Self::Leave => ("confirm-leave", "Leave"),
            Self::Kick => ("confirm-kick", "Kick"),
            Self::Close => ("confirm-close", "Close"),
        }
    }

    fn question_testid(self) -> &'static str {
        match self {
            Self::Leave => "leave-warning",
            Self::Kick | Self::Close => "confirm-question",
        }
    }

    /// What the operator is asked; `vacant`: the visitor has gone.
    fn question(self, visitor: &str, vacant: bool) -> String {
        match self {
            Self::Leave if vacant => {
                "You are the last participant: the chat will be closed.".into()
            }
            Self::Leave => "You are the last participant: the chat goes back to Waiting.".into(),
            Self::Kick => {
                format!("End the chat for {visitor}? They will see nothing posted after this.")
            }
            Self::Close => "Close the chat for everyone?".into(),
        }
    }
}

#[component]
fn Controls(
    chat: ChatId,
    me: OperatorId,
    summary: Memo<Option<ChatSummary>>,
    role: Signal<Option<MemberRole>>,
    mode: PanelMode,
    private: bool,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let busy = RwSignal::new(false);
    let confirming = RwSignal::new(None::<Confirm>);
    let picking = RwSignal::new(None::<OfferKind>);
    let participant = move || role.get() == Some(MemberRole::Participant);
    let status = move || summary.with(|s| s.as_ref().map(ChatSummary::status));
    let active_visitor_chat = move || !private && status() == Some(ChatStatus::Active);
    let visitor_here =
        move || summary.with(|s| s.as_ref().is_some_and(|s| s.chat.open_for_visitor()));
    let on_hold = move || summary.with(|s| s.as_ref().is_some_and(|s| s.chat.on_hold));
    // Leaving as the last participant sends the chat back to Waiting (or closes a vacant one).
    let last_participant = move || {
        participant()
            && summary.with(|s| {
                s.as_ref()
                    .is_some_and(|s| s.chat.participants().all(|m| m.id == me))
            })
    };

    let run = move |action: ChatAction| {
        busy.set(true);
        confirming.set(None);
        spawn_local(async move {
            if let Err(err) = api::run_chat_action(api::ChatActionInput {
                chat_id: chat,
                action,
            })
            .await
            {
                console.report(&err);
            }
            busy.try_set(false);
        });
    };
    let leave = move || {
        let needs_warning = last_participant()
            && matches!(status(), Some(ChatStatus::Active | ChatStatus::Vacant))
            && !private;
        if needs_warning {
            confirming.set(Some(Confirm::Leave));
        } else {
            run(ChatAction::Leave);
        }
    };
    let offer = Callback::new(move |target: OperatorId| {
        let Some(kind) = picking.get_untracked() else {
            return;
        };
        picking.set(None);
        spawn_local(async move {
            let offer = api::OfferInput {
                chat_id: chat,
                kind,
                target,
            };
            if let Err(err) = api::offer_chat(offer).await {
                console.report(&err);
            }
        });
    });

    let handing_on = move || {
        (participant() && active_visitor_chat()).then(|| {
            view! {
                <Control testid="invite" label="Invite" busy on_press=move || picking.set(Some(OfferKind::Invite)) />
                <Control testid="transfer" label="Transfer" busy on_press=move || picking.set(Some(OfferKind::Transfer)) />
            }
        })
    };
    let hold = move || {
        (participant() && active_visitor_chat()).then(|| {
            if on_hold() {
                view! { <Control testid="resume" label="Resume" busy on_press=move || run(ChatAction::Resume) /> }
                    .into_any_at_once()
            } else {
                view! { <Control testid="hold" label="Hold" busy on_press=move || run(ChatAction::Hold) /> }
                    .into_any_at_once()
            }
        })
    };
    // A voice call with the visitor (V7 O26), one at a time per console.
    let calling = move || console.call.with(Option::is_some);
    let call = move || {
        (participant() && active_visitor_chat() && visitor_here() && !on_hold() && !calling()).then(
            || {
                let visitor = summary.with_untracked(|s| {
                    s.as_ref()
                        .map(|s| s.chat.visitor_name.clone())
                        .unwrap_or_default()
                });
                view! {
                    <Control
                        testid="call-start"
                        label="Voice call"
                        busy
                        on_press=move || crate::voice::start_call(console, chat, visitor.clone())
                    />
                }
            },
        )
    };
    let kick = move || {
        (participant() && !private && visitor_here()).then(|| {
            view! { <Control testid="kick" label="Kick user" busy on_press=move || confirming.set(Some(Confirm::Kick)) /> }
        })
    };
    let close = move || {
        participant().then(|| {
            view! { <Control testid="close" label="Close chat" busy on_press=move || confirming.set(Some(Confirm::Close)) /> }
        })
    };
    // Once the visitor's part is over, the chat can be sent to them by email (O23).
    let emailing = RwSignal::new(false);
    let mail_to = RwSignal::new(String::new());
    let email_chat = move || {
        (!private && !visitor_here()).then(|| {
            view! { <Control testid="email-chat" label="Email to visitor" busy on_press=move || emailing.update(|e| *e = !*e) /> }
        })
    };
    let email_form = move || {
        emailing.get().then(|| {
            view! {
                <form
                    class="inline-form"
                    data-testid="email-chat-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        let to = mail_to.get_untracked();
                        spawn_local(async move {
                            match api::email_chat(api::EmailChatInput { chat_id: chat, to }).await {
                                Ok(address) => {
                                    console.notice.set(Some(format!("The chat is on its way to {address}.")));
                                    emailing.set(false);
                                }
                                Err(err) => console.report(&err),
                            }
                        });
                    }
                >
                    <input
                        type="email"
                        data-testid="email-chat-to"
                        aria-label="The visitor's email address"
                        placeholder="Blank: the address the visitor gave"
                        on:input=move |ev| mail_to.set(event_target_value(&ev))
                    />
                    <button type="submit" data-testid="email-chat-send">"Send"</button>
                </form>
            }
        })
    };
    // A chat that needs more than this conversation goes into a ticket, and closes (O23).
    let ticketing = RwSignal::new(false);
    let ticket = move || {
        (participant() && !private).then(|| {
            view! { <Control testid="ticket" label="Ticket" busy on_press=move || ticketing.update(|t| *t = !*t) /> }
        })
    };
    let ticket_form = move || {
        ticketing.get().then(|| {
            view! { <TicketForm chat shown=ticketing /> }
        })
    };
    let new_window = (mode == PanelMode::Tab).then(|| {
        view! {
            <button data-testid="new-window" title="Open this chat in a window of its own" on:click=move |_| open_window(chat)>
                "New window"
            </button>
        }
    });
    let picker = move || {
        picking.get().map(|kind| {
            let title = match kind {
                OfferKind::Invite => "Invite an operator",
                OfferKind::Transfer => "Transfer the chat to",
            };
            view! { <OperatorPicker title on_pick=offer on_close=Callback::new(move |()| picking.set(None)) /> }
        })
    };
    let confirmation = move || {
        confirming.get().map(|asked| {
            let visitor = summary.with(|s| s.as_ref().map(|s| s.title(me)).unwrap_or_default());
            let question = asked.question(&visitor, status() == Some(ChatStatus::Vacant));
            let (testid, label) = asked.button();
            // The question takes focus on its safe answer; Escape is Cancel.
            let cancel = NodeRef::<leptos::html::Button>::new();
            Effect::new(move |_| {
                if let Some(cancel) = cancel.get() {
                    let _ = cancel.focus();
                }
            });
            let question_id = asked.question_testid();
            view! {
                <div
                    class="confirm"
                    role="alertdialog"
                    aria-labelledby=question_id
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            confirming.set(None);
                        }
                    }
                >
                    <p id=question_id data-testid=question_id>{question}</p>
                    <button class="danger" data-testid=testid on:click=move |_| run(asked.action())>{label}</button>
                    <button class="link" data-testid="cancel-confirm" node_ref=cancel on:click=move |_| confirming.set(None)>
                        "Cancel"
                    </button>
                </div>
            }
        })
    };
    view! {
        <section class="controls" data-testid="chat-controls">
            <div class="buttons">
                {handing_on}
                <Control testid="leave" label="Leave" busy on_press=leave />
                {kick}
                {close}
                {ticket}
                {hold}
                {call}
                {new_window}
                {email_chat}
                <Downloads chat text_testid="download-transcript" pdf_testid="download-pdf" notes_testid="download-notes" />
                <MonitoringSwitch chat />
            </div>
            {email_form}
            {ticket_form}
            {confirmation}
            {picker}
        </section>
    }
}

/// A control button, disabled while a control runs.
#[component]
fn Control(
    testid: &'static str,
    label: &'static str,
    busy: RwSignal<bool>,
    on_press: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <button data-testid=testid disabled=move || busy.get() on:click=move |_| on_press()>
            {label}
        </button>
    }
}

/// The three-way alert switch: off → what the visitor does → everything.
#[component]
fn MonitoringSwitch(chat: ChatId) -> impl IntoView {
    let console = expect_context::<Console>();
    let level = Memo::new(move |_| {
        console.model.with(|m| {
            m.my_chats
                .iter()
                .find(|c| c.summary.id() == chat)
                .map(|c| c.monitoring)
                .unwrap_or_default()
        })
    });
    let label = move || match level.get() {
        Monitoring::Off => "Alerts: off",
        Monitoring::Visitor => "Alerts: visitor",
        Monitoring::All => "Alerts: all",
    };
    let cycle = move |_| {
        let next = level.get_untracked().next();
        spawn_local(async move {
            let input = api::MonitoringInput {
                chat_id: chat,
                monitoring: next,
            };
            match api::set_monitoring(input).await {
                Ok(()) => console.model.update(|m| {
                    if let Some(mine) = m.my_chats.iter_mut().find(|c| c.summary.id() == chat) {
                        mine.monitoring = next;
                    }
                }),
                Err(err) => console.report(&err),
            }
        });
    };
    view! {
        <button
            class="monitoring"
            data-testid="monitoring"
            data-level=move || level.get().as_str()
            title="Which events of this chat ring and notify you: none, the visitor's, or everyone's"
            on:click=cycle
        >
            {label}
        </button>
    }
}

/// The visitor and the operators in the chat (watchers other than me are never known here).
#[component]
fn People(me: OperatorId, summary: Memo<Option<ChatSummary>>) -> impl IntoView {
    let visitor = move || {
        summary.with(|s| {
            let s = s.as_ref()?;
            if s.chat.is_private() {
                return None;
            }
            let state = if s.chat.visitor_kicked {
                "removed"
            } else if s.chat.visitor_present {
                "here"
            } else {
                "left"
            };
            Some(view! {
                <li data-testid="member-visitor">
                    <span>{s.chat.visitor_name.clone()}</span>
                    <span class="muted">" visitor, " {state}</span>
                </li>
            })
        })
    };
    let console = expect_context::<Console>();
    let members = move || {
        summary.with(|s| {
            s.as_ref()
                .map(|s| s.chat.members.clone())
                .unwrap_or_default()
        })
    };
    // How present an operator is, for their dot: me by my own toggle; a colleague from the
    // online list; anyone else has no console open.
    let dot_of = move |id: OperatorId, member: bool| {
        let online = if id == me {
            Some((
                false,
                console
                    .me
                    .with(|m| m.as_ref().is_some_and(|m| m.unavailable)),
            ))
        } else {
            console.roster.with(|r| {
                r.colleagues()
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| (c.away, c.unavailable))
            })
        };
        Dot::in_chat(member, online)
    };
    let dot = move |id: OperatorId, member: bool| {
        view! {
            <span
                class=move || format!("dot {}", dot_of(id, member).as_str())
                data-testid="member-dot"
                data-dot=move || dot_of(id, member).as_str()
                title=move || dot_of(id, member).label()
            ></span>
        }
    };
    // Pink: asked in and not there yet, or gone from the chat.
    let inactive = move || {
        let Some(chat) = summary.with(|s| s.as_ref().map(|s| s.id())) else {
            return Vec::new();
        };
        let (invited, members): (Vec<(OperatorId, String, &'static str)>, Vec<OperatorId>) =
            summary.with(|s| {
                s.as_ref().map_or((Vec::new(), Vec::new()), |s| {
                    (
                        s.chat
                            .offers
                            .iter()
                            .map(|o| (o.target, o.target_name.clone(), " invited"))
                            .collect(),
                        s.chat.members.iter().map(|m| m.id).collect(),
                    )
                })
            });
        let mut left: Vec<(OperatorId, String, &'static str)> = console.model.with(|m| {
            m.my_chats
                .iter()
                .find(|c| c.summary.id() == chat)
                .map(|c| {
                    c.events
                        .iter()
                        .filter_map(|e| match &e.kind {
                            domain::EventKind::OperatorLeft {
                                operator,
                                operator_name,
                                ..
                            } => Some((*operator, operator_name.clone(), " left")),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        });
        left.retain(|(id, _, _)| !members.contains(id) && !invited.iter().any(|i| i.0 == *id));
        left.dedup_by_key(|l| l.0);
        let mut all = invited;
        for entry in left {
            if !all.iter().any(|a| a.0 == entry.0) {
                all.push(entry);
            }
        }
        all
    };
    view! {
        <section class="people">
            <h3>"In this chat"</h3>
            <ul data-testid="members">
                {visitor}
                <For
                    each=members
                    key=|m| (m.id, m.role)
                    children=move |member| {
                        let note = match member.role {
                            MemberRole::Participant => None,
                            MemberRole::Observer => Some(" observing"),
                            MemberRole::Watcher => Some(" watching"),
                        };
                        let you = (member.id == me).then_some(" (you)");
                        view! {
                            <li data-testid="member" data-operator-id=member.id.to_string() data-role=member.role.as_str()>
                                {dot(member.id, true)}
                                <span>{member.name}</span>
                                <span class="muted">{you}{note}</span>
                            </li>
                        }
                    }
                />
                <For
                    each=inactive
                    key=|entry| entry.clone()
                    children=move |(id, name, why)| {
                        view! {
                            <li data-testid="member-inactive" data-operator-id=id.to_string()>
                                {dot(id, false)}
                                <span>{name}</span>
                                <span class="muted">{why}</span>
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}

/// Invitations and transfers I made that are not answered yet, each with Withdraw.
#[component]
fn MyOffers(chat: ChatId, me: OperatorId, summary: Memo<Option<ChatSummary>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let offers = move || {
        summary.with(|s| {
            s.as_ref()
                .map(|s| {
                    s.chat
                        .offers
                        .iter()
                        .filter(|o| o.from == me)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let withdraw = move |target: OperatorId| {
        spawn_local(async move {
            if let Err(err) = api::withdraw_offer(api::WithdrawOfferInput {
                chat_id: chat,
                target,
            })
            .await
            {
                console.report(&err);
            }
        });
    };
    view! {
        <Show when=move || !offers().is_empty()>
            <section class="offers">
                <h3>"Waiting for an answer"</h3>
                <ul>
                    <For
                        each=offers
                        key=|o| (o.target, o.kind)
                        children=move |offer| {
                            let target = offer.target;
                            let what = match offer.kind {
                                OfferKind::Invite => "Invited ",
                                OfferKind::Transfer => "Transfer to ",
                            };
                            view! {
                                <li data-testid="pending-offer" data-operator-id=target.to_string()>
                                    <span>{what}{offer.target_name}</span>
                                    <button class="link" data-testid="withdraw" on:click=move |_| withdraw(target)>
                                        "Withdraw"
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
            </section>
        </Show>
    }
}

/// Opens the chat in a window of its own; it loads and follows the chat by itself.
fn open_window(chat: ChatId) {
    let url = format!("{}{chat}", crate::CHAT_WINDOW_PREFIX);
    let _ = window().open_with_url_and_target_and_features(
        &url,
        &format!("chat-{chat}"),
        "width=900,height=700",
    );
}
