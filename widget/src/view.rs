//! The panel's markup. Test ids (`data-testid`) are part of the end-to-end contract.

use leptos::ev::KeyboardEvent;
use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;
use crate::conversation::{Conversation, Line, LineKind};
use crate::state::{Connection, Ctx, Options, Pending, Phase, chosen_channel, name_required};
use domain::ChannelId;

/// The whole panel.
pub fn panel(base: String, options: Options) -> impl IntoView {
    let ctx = Ctx::new(base, options);
    spawn_local(ctx.init());
    spawn_local(ctx.watch_seen());
    let title = move || {
        ctx.config.with(|c| {
            c.as_ref()
                .map_or_else(|| "Chat".to_owned(), |c| c.title.clone())
        })
    };
    // Checked as `#rrggbb` when the config was loaded; until then the stylesheet's default.
    // Set as a style property (CSSOM), not a `style` attribute, which a host page's strict
    // Content-Security-Policy would refuse.
    let accent = move || {
        let color = ctx
            .config
            .with(|c| c.as_ref().map(|c| c.color.clone()).unwrap_or_default());
        ("--sb-accent", color)
    };
    view! {
        <div class="sb-panel" data-testid="sb-panel" role="dialog" aria-label=title style=accent>
            <header class="sb-header">
                <div class="sb-title">{title}</div>
                <Show when=move || ctx.chat_open()>
                    <button
                        type="button"
                        class="sb-end"
                        data-testid="sb-end"
                        disabled=move || ctx.busy.get()
                        on:click=move |_| spawn_local(ctx.end())
                    >
                        "End chat"
                    </button>
                </Show>
                <button
                    type="button"
                    class="sb-close"
                    aria-label="Minimise chat"
                    title="Minimise"
                    on:click=|_| browser::loader_close()
                >
                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                        <path
                            d="M6 9l6 6 6-6"
                            fill="none"
                            stroke="currentColor"
                            stroke-width="2.2"
                            stroke-linecap="round"
                            stroke-linejoin="round"
                        ></path>
                    </svg>
                </button>
            </header>
            <div class="sb-connection" data-testid="sb-connection" role="status" aria-live="polite">
                {move || match ctx.connection.get() {
                    Connection::Connected => None,
                    Connection::Reconnecting => Some(view! {
                        <p class="sb-banner sb-reconnecting" data-testid="sb-reconnecting">
                            "Connection lost. Reconnecting…"
                        </p>
                    }.into_any()),
                    Connection::Restored => Some(view! {
                        <p class="sb-banner sb-restored" data-testid="sb-restored">
                            "Connected again."
                        </p>
                    }.into_any()),
                }}
            </div>
            {move || match ctx.phase.get() {
                Phase::Loading => view! { <div class="sb-loading">"Loading…"</div> }.into_any(),
                Phase::Form if ctx.offline.get().is_some() => offline_form(ctx).into_any(),
                Phase::Form => start_form(ctx).into_any(),
                Phase::Invited => invitation_form(ctx).into_any(),
                Phase::Chat => conversation(ctx).into_any(),
            }}
        </div>
    }
}

fn error_line(ctx: Ctx) -> impl IntoView {
    move || {
        ctx.error.get().map(|message| {
            view! {
                <p class="sb-error" data-testid="sb-error" role="alert">
                    {message}
                </p>
            }
        })
    }
}

/// "Leave a message" (V11): shown instead of the start form while live chat is not offered.
fn offline_form(ctx: Ctx) -> impl IntoView {
    let name = RwSignal::new(ctx.known_name().unwrap_or_default());
    let email = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(ctx.leave_message(
            name.get_untracked(),
            email.get_untracked(),
            message.get_untracked(),
        ));
    };
    move || {
        if ctx.message_left.get() {
            return view! {
                <p class="sb-greeting sb-offline-sent" data-testid="sb-offline-sent" role="status">
                    "Thank you! Your message has been sent. We will answer you by email."
                </p>
            }
            .into_any();
        }
        view! {
            <form class="sb-form" novalidate=true on:submit=submit data-testid="sb-offline-form">
                <p class="sb-greeting" data-testid="sb-offline-reason">
                    {move || ctx.offline.get().unwrap_or_default()}
                    " Leave a message and we will answer by email."
                </p>
                <label class="sb-field">
                    <span class="sb-label">
                        "Your name"
                        <span class="sb-optional">" (optional)"</span>
                    </span>
                    <input
                        class="sb-text"
                        data-testid="sb-offline-name"
                        type="text"
                        autocomplete="name"
                        maxlength="80"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <label class="sb-field">
                    <span class="sb-label">"Email"</span>
                    <input
                        class="sb-text"
                        data-testid="sb-offline-email"
                        type="email"
                        autocomplete="email"
                        aria-required="true"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </label>
                <label class="sb-field">
                    <span class="sb-label">"Message"</span>
                    <textarea
                        class="sb-text sb-first-message"
                        data-testid="sb-offline-message"
                        rows="4"
                        prop:value=move || message.get()
                        on:input=move |ev| message.set(event_target_value(&ev))
                    ></textarea>
                </label>
                {error_line(ctx)}
                <button
                    type="submit"
                    class="sb-button sb-start"
                    data-testid="sb-offline-send"
                    disabled=move || ctx.busy.get()
                >
                    "Leave a message"
                </button>
            </form>
        }
        .into_any()
    }
}

fn start_form(ctx: Ctx) -> impl IntoView {
    let name = RwSignal::new(ctx.known_name().unwrap_or_default());
    let email = RwSignal::new(ctx.known_email().unwrap_or_default());
    let message = RwSignal::new(String::new());
    let picked = RwSignal::new(None::<ChannelId>);
    let chosen = move || {
        ctx.config
            .with(|c| c.as_ref().and_then(|c| chosen_channel(c, picked.get())))
    };
    let required = move || {
        ctx.config
            .with(|c| c.as_ref().is_none_or(|c| name_required(c, chosen())))
    };
    // Several channels and no binding: the visitor picks one.
    let choices = move || {
        ctx.config.with(|c| {
            c.as_ref()
                .map(|c| c.channels.clone())
                .filter(|channels| channels.len() > 1)
        })
    };
    let greeting = move || {
        ctx.config
            .with(|c| c.as_ref().map(|c| c.greeting.clone()).unwrap_or_default())
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The form is gone once the chat starts, so its signals are read now, not after.
        let (name, message) = (name.get_untracked(), message.get_untracked());
        spawn_local(ctx.start(name, email.get_untracked(), message, picked.get_untracked()));
    };
    view! {
        <form class="sb-form" novalidate=true on:submit=submit>
            <p class="sb-greeting">{greeting}</p>
            {move || {
                choices()
                    .map(|channels| {
                        view! {
                            <label class="sb-field">
                                <span class="sb-label">"Department"</span>
                                <select
                                    class="sb-text"
                                    data-testid="sb-channel"
                                    name="channel"
                                    aria-required="true"
                                    on:change=move |ev| picked.set(event_target_value(&ev).parse().ok())
                                >
                                    <option value="" selected=move || picked.get().is_none()>
                                        "Choose…"
                                    </option>
                                    {channels
                                        .into_iter()
                                        .map(|c| {
                                            let id = c.id;
                                            view! {
                                                <option
                                                    value=id.to_string()
                                                    selected=move || picked.get() == Some(id)
                                                >
                                                    {c.name}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                            </label>
                        }
                    })
            }}
            <label class="sb-field">
                <span class="sb-label">
                    "Your name"
                    {move || (!required()).then_some(view! { <span class="sb-optional">" (optional)"</span> })}
                </span>
                <input
                    class="sb-text"
                    data-testid="sb-name"
                    type="text"
                    name="name"
                    autocomplete="name"
                    maxlength="80"
                    aria-required=move || required().to_string()
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            {email_field(email)}
            <label class="sb-field">
                <span class="sb-label">"Message"</span>
                <textarea
                    class="sb-text sb-first-message"
                    data-testid="sb-first-message"
                    name="message"
                    rows="4"
                    placeholder="How can we help?"
                    prop:value=move || message.get()
                    on:input=move |ev| message.set(event_target_value(&ev))
                ></textarea>
            </label>
            {error_line(ctx)}
            <button
                type="submit"
                class="sb-button sb-start"
                data-testid="sb-start"
                disabled=move || ctx.busy.get()
            >
                "Start Chat"
            </button>
        </form>
    }
}

/// An operator's voice call (V7): ringing with Accept and Decline, then its state, Mute and
/// Hang up.
fn call_strip(ctx: Ctx) -> impl IntoView {
    move || {
        ctx.call.get().map(|call| {
            let ringing = call.state == "ringing";
            let state = match call.state.as_str() {
                "ringing" => format!("{} is calling you", call.operator),
                "connecting" => "Connecting the call…".to_owned(),
                "connected" => format!("On a call with {}", call.operator),
                "muted-by-peer" => format!("{} muted their microphone", call.operator),
                "failed" => "The call could not connect.".to_owned(),
                _ => "The call ended.".to_owned(),
            };
            let muted = call.muted;
            view! {
                <div class="sb-call" data-testid="sb-call" role="status">
                    <span data-testid="sb-call-state" data-state=call.state.clone()>{state}</span>
                    {if ringing {
                        view! {
                            <button type="button" class="sb-button" data-testid="sb-call-accept" on:click=move |_| ctx.accept_call()>
                                "Accept"
                            </button>
                            <button type="button" class="sb-link" data-testid="sb-call-decline" on:click=move |_| ctx.end_call()>
                                "Decline"
                            </button>
                        }
                        .into_any()
                    } else {
                        view! {
                            <button
                                type="button"
                                class="sb-link"
                                data-testid="sb-call-mute"
                                aria-pressed=muted.to_string()
                                on:click=move |_| crate::voice::mute(ctx.call, !muted)
                            >
                                {if muted { "Unmute" } else { "Mute" }}
                            </button>
                            <button type="button" class="sb-button" data-testid="sb-call-hangup" on:click=move |_| ctx.end_call()>
                                "Hang up"
                            </button>
                        }
                        .into_any()
                    }}
                </div>
            }
        })
    }
}

/// The optional email field of the start forms (V3).
fn email_field(email: RwSignal<String>) -> impl IntoView {
    view! {
        <label class="sb-field">
            <span class="sb-label">"Email" <span class="sb-optional">" (optional)"</span></span>
            <input
                class="sb-text"
                data-testid="sb-email"
                type="email"
                name="email"
                autocomplete="email"
                maxlength="200"
                prop:value=move || email.get()
                on:input=move |ev| email.set(event_target_value(&ev))
            />
        </label>
    }
}

/// "Open chat with operator": the visitor took up an invitation; the chat goes straight to
/// the operator who sent it.
fn invitation_form(ctx: Ctx) -> impl IntoView {
    let name = RwSignal::new(ctx.known_name().unwrap_or_default());
    let email = RwSignal::new(ctx.known_email().unwrap_or_default());
    let invitation = move || ctx.invitation.get();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(ctx.accept_invitation(name.get_untracked(), email.get_untracked()));
    };
    view! {
        <form class="sb-form" data-testid="sb-invitation-form" novalidate=true on:submit=submit>
            <h2 class="sb-heading">"Open chat with operator"</h2>
            {move || invitation().map(|i| view! {
                <blockquote class="sb-invitation">
                    <strong>{i.operator_name}</strong>
                    <p>{i.message}</p>
                </blockquote>
            })}
            <label class="sb-field">
                <span class="sb-label">"Chat name" <span class="sb-optional">" (optional)"</span></span>
                <input
                    class="sb-text"
                    data-testid="sb-name"
                    type="text"
                    name="name"
                    autocomplete="name"
                    maxlength="80"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            {email_field(email)}
            {error_line(ctx)}
            <button
                type="submit"
                class="sb-button sb-start"
                data-testid="sb-open-chat"
                disabled=move || ctx.busy.get()
            >
                "Start text chat"
            </button>
        </form>
    }
}

fn conversation(ctx: Ctx) -> impl IntoView {
    let list: NodeRef<Div> = NodeRef::new();
    let lines = Memo::new(move |_| {
        ctx.chat
            .with(|c| c.as_ref().map(|c| c.lines.clone()).unwrap_or_default())
    });
    let typing = Memo::new(move |_| {
        ctx.chat
            .with(|c| c.as_ref().and_then(Conversation::typing_text))
    });
    let hold = Memo::new(move |_| {
        ctx.chat
            .with(|c| c.as_ref().and_then(|c| c.hold_banner().map(str::to_owned)))
    });
    // Memoised: the chat changes with every event and typing signal, and rebuilding the entry
    // bar each time would lose the visitor's draft and focus.
    let ended = Memo::new(move |_| ctx.chat_ended());
    let waiting = move || {
        ctx.chat
            .with(|c| c.as_ref().is_some_and(Conversation::waiting))
    };
    let ended_note = move || {
        ctx.chat
            .with(|c| c.as_ref().is_some_and(Conversation::ended_without_line))
    };
    Effect::new(move |_| {
        lines.track();
        typing.track();
        ctx.pending.track();
        request_animation_frame(move || {
            // The list may be gone by the next frame (chat ended, form shown).
            if let Some(el) = list.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });
    let pending = move || {
        let chat = ctx.chat.with(|c| c.as_ref().map(|c| c.id));
        ctx.pending.with(|p| {
            p.iter()
                .filter(|m| Some(m.chat_id) == chat)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=waiting>
            <div class="sb-waiting" data-testid="sb-waiting" role="status">
                "Waiting for an operator…"
                {move || {
                    ctx.chat
                        .with(|c| c.as_ref().and_then(Conversation::queue))
                        .map(|place| {
                            view! {
                                <span class="sb-queue" data-testid="sb-queue">
                                    {queue_text(place)}
                                </span>
                            }
                        })
                }}
            </div>
        </Show>
        {move || {
            hold.get()
                .map(|text| {
                    view! {
                        <div class="sb-hold" data-testid="sb-hold" role="status">
                            {text}
                        </div>
                    }
                })
        }}
        {call_strip(ctx)}
        <div
            class="sb-messages"
            data-testid="sb-messages"
            node_ref=list
            role="log"
            aria-label="Conversation"
        >
            <For each=move || lines.get() key=|line| line.id children=line_view />
            {move || {
                ctx.chat
                    .with(|c| c.as_ref().and_then(Conversation::receipt))
                    .map(|seen| view! {
                        <div class="sb-receipt" data-testid="sb-receipt">{if seen { "Seen" } else { "Delivered" }}</div>
                    })
            }}
            <For each=pending key=|p| p.client_id.clone() children=pending_line />
            {move || {
                typing
                    .get()
                    .map(|text| {
                        view! {
                            <div class="sb-typing" data-testid="sb-typing" aria-live="off">
                                {text}
                            </div>
                        }
                    })
            }}
            <Show when=ended_note>
                <div class="sb-ended" data-testid="sb-ended">"The chat has ended."</div>
            </Show>
        </div>
        {move || ended.get().then(|| after_chat(ctx))}
        {error_line(ctx)}
        {move || if ended.get() { new_chat_bar(ctx).into_any() } else { entry_bar(ctx).into_any() }}
    }
}

/// Once the chat is over (V10, V12): rate it, download its transcript, or have it mailed.
/// Kept to few reactive parts: each one adds to the panel's weight.
fn after_chat(ctx: Ctx) -> impl IntoView {
    let stars = RwSignal::new(0_u8);
    let comment = RwSignal::new(String::new());
    let email = RwSignal::new(ctx.known_email().unwrap_or_default());
    let can_rate = move || {
        ctx.chat
            .with(|c| c.as_ref().is_some_and(Conversation::can_rate))
    };
    let note = move || {
        let rated = ctx.chat.with(|c| c.as_ref().and_then(Conversation::rated));
        let mut lines = Vec::new();
        if let Some(given) = rated {
            lines.push(format!("Thank you for rating this chat {given} of 5."));
        }
        if let Some(to) = ctx.transcript_sent.get() {
            lines.push(format!("The transcript is on its way to {to}."));
        }
        lines.join(" ")
    };
    let rate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(ctx.rate(stars.get_untracked(), comment.get_untracked()));
    };
    let mail = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(ctx.email_transcript(email.get_untracked()));
    };
    view! {
        <div class="sb-after" data-testid="sb-after">
            <form class="sb-rate" data-testid="sb-rate" on:submit=rate hidden=move || !can_rate()>
                <div class="sb-stars" role="radiogroup" aria-label="How was this chat?">
                    {(1..=5_u8)
                        .rev()
                        .map(|n| {
                            view! {
                                <input
                                    type="radio"
                                    name="sb-stars"
                                    data-testid=format!("sb-star-{n}")
                                    aria-label=format!("{n} of 5")
                                    on:change=move |_| stars.set(n)
                                />
                            }
                        })
                        .collect_view()}
                </div>
                <input
                    class="sb-text"
                    data-testid="sb-rate-comment"
                    maxlength="1000"
                    placeholder="Anything to add? (optional)"
                    aria-label="Comment"
                    on:input=move |ev| comment.set(event_target_value(&ev))
                />
                <button type="submit" class="sb-button" data-testid="sb-rate-send">"Send rating"</button>
            </form>
            <p class="sb-thanks" data-testid="sb-thanks" role="status">{note}</p>
            <form class="sb-mail" data-testid="sb-email-form" on:submit=mail>
                <input
                    class="sb-text"
                    type="email"
                    data-testid="sb-email"
                    autocomplete="email"
                    placeholder="Email me the transcript"
                    aria-label="Email me the transcript"
                    value=email.get_untracked()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
                <button type="submit" class="sb-button" data-testid="sb-email-send">"Send"</button>
            </form>
            <button
                type="button"
                class="sb-link"
                data-testid="sb-download"
                on:click=move |_| spawn_local(ctx.download_transcript())
            >
                "Download transcript"
            </button>
            <button
                type="button"
                class="sb-link"
                data-testid="sb-follow-up"
                on:click=move |_| ctx.request_follow_up()
            >
                "Leave a follow-up request"
            </button>
        </div>
    }
}

fn line_view(line: Line) -> AnyView {
    match line.kind {
        LineKind::Visitor { body } => view! {
            <div class="sb-message sb-visitor" data-testid="sb-message" data-author="visitor">
                <div class="sb-bubble">{body}</div>
            </div>
        }
        .into_any(),
        LineKind::Operator { name, body } => view! {
            <div class="sb-message sb-operator" data-testid="sb-message" data-author="operator">
                <div class="sb-author">{name}</div>
                <div class="sb-bubble">{body}</div>
            </div>
        }
        .into_any(),
        LineKind::System(text) => view! {
            <div class="sb-system" data-testid="sb-system">
                {text}
            </div>
        }
        .into_any(),
    }
}

fn pending_line(message: Pending) -> impl IntoView {
    view! {
        <div
            class="sb-message sb-visitor sb-pending"
            data-testid="sb-message"
            data-author="visitor"
            data-pending="true"
        >
            <div class="sb-bubble">{message.body}</div>
            <div class="sb-status">"sending…"</div>
        </div>
    }
}

fn entry_bar(ctx: Ctx) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let send = move || {
        let body = text.get_untracked();
        if !body.trim().is_empty() {
            text.set(String::new());
            ctx.send(&body);
        }
    };
    let keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    view! {
        <div class="sb-entry">
            <textarea
                class="sb-input"
                data-testid="sb-input"
                rows="1"
                placeholder="Type a message…"
                aria-label="Message"
                prop:value=move || text.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    ctx.typed(&value);
                    text.set(value);
                }
                on:keydown=keydown
            ></textarea>
            <button
                type="button"
                class="sb-send"
                aria-label="Send"
                title="Send"
                on:click=move |_| send()
            >
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <path d="M3.4 20.4l17.45-7.48a1 1 0 000-1.84L3.4 3.6a.99.99 0 00-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z" fill="currentColor"></path>
                </svg>
            </button>
        </div>
    }
}

fn new_chat_bar(ctx: Ctx) -> impl IntoView {
    view! {
        <div class="sb-entry sb-entry-ended">
            <button
                type="button"
                class="sb-button sb-new-chat"
                data-testid="sb-new-chat"
                on:click=move |_| ctx.new_chat()
            >
                "Start a new chat"
            </button>
        </div>
    }
}

/// "You are number 2 in the queue. Estimated wait: about 4 minutes."
fn queue_text(place: domain::queue::QueuePlace) -> String {
    let mut text = format!("You are number {} in the queue.", place.position);
    if let Some(seconds) = place.estimated_wait_seconds {
        let minutes = seconds.div_ceil(60).max(1);
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        text.push_str(&format!(" Estimated wait: about {minutes} {unit}."));
    }
    text
}
