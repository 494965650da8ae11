//! Channels (A4, O18): every operator sees the open channels and joins or leaves them; admins
//! also create channels, rename and archive them, set who serves them and what differs from
//! the general settings (name required, invitation text). The dashboard's My channels filter
//! follows what is chosen here.

use domain::admin::OperatorAccount;
use domain::channel::{Channel, ChannelForm};
use domain::routing::RoutingMode;
use domain::{ChannelId, OperatorId};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::components::form_failure::Failure;
use crate::components::text_field::TextField;
use crate::routes::admin_operators::is_admin;
use crate::state::Console;

/// The choices of the visitor's name rule: the rule, its option's value and its label.
const NAME_RULES: [(Option<bool>, &str, &str); 3] = [
    (None, "inherit", "As in the general settings"),
    (Some(true), "yes", "Required"),
    (Some(false), "no", "Optional"),
];

/// The choices of a channel's routing: the mode, its option's value and its label.
const ROUTINGS: [(Option<RoutingMode>, &str, &str); 3] = [
    (None, "inherit", "As in the general settings"),
    (
        Some(RoutingMode::Manual),
        "manual",
        "Manual: every available operator is told",
    ),
    (
        Some(RoutingMode::Automatic),
        "automatic",
        "Automatic: one operator is assigned, with the reason",
    ),
];

/// The choice whose option has this value.
fn chosen<T: Copy>(choices: &[(T, &str, &str)], value: &str) -> Option<T> {
    choices
        .iter()
        .find(|(_, option, _)| *option == value)
        .map(|(choice, _, _)| *choice)
}

/// The fields the server may name in a channel form.
const FIELDS: [&str; 6] = [
    "name",
    "time_zone",
    "business_hours",
    "invitation_text",
    "invitation_name",
    "operators",
];

/// The Channels page.
#[component]
pub fn ChannelsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let admin = move || is_admin(console);
    // The console's list may be older than this visit: fetch it afresh.
    Effect::new(move |_| {
        spawn_local(async move {
            match api::list_channels().await {
                Ok(channels) => console.model.update(|m| m.channels = channels),
                Err(err) => console.report(&err),
            }
        });
    });
    let shown = Memo::new(move |_| {
        let admin = admin();
        console.model.with(|m| {
            m.channels
                .iter()
                .filter(|c| admin || !c.archived)
                .map(|c| c.id)
                .collect::<Vec<_>>()
        })
    });
    let operators = RwSignal::new(Vec::<OperatorAccount>::new());
    Effect::new(move |_| {
        if admin() {
            spawn_local(async move {
                if let Ok(list) = api::list_operators().await {
                    operators.set(list);
                }
            });
        }
    });
    view! {
        <section class="page channels">
            <h1>"Channels"</h1>
            <p class="hint">
                "Join the channels whose chats you answer: \"My channels\" on the dashboard lists their chats."
            </p>
            <Show when=admin>
                <NewChannel />
            </Show>
            <Show
                when=move || !shown.with(Vec::is_empty)
                fallback=|| view! { <p class="empty" data-testid="no-channels">"There are no channels yet."</p> }
            >
                <ul class="rows" data-testid="channel-list">
                    <For
                        each=move || shown.get()
                        key=|id| *id
                        children=move |id| view! { <ChannelRow id operators /> }
                    />
                </ul>
            </Show>
        </section>
    }
}

/// Puts a saved channel into the console's list.
fn remember(console: Console, saved: Channel) {
    console.model.update(|m| {
        match m.channels.iter_mut().find(|c| c.id == saved.id) {
            Some(existing) => *existing = saved,
            None => m.channels.push(saved),
        }
        m.channels.sort_by_key(|c| c.name.to_lowercase());
    });
}

#[component]
fn NewChannel() -> impl IntoView {
    let console = expect_context::<Console>();
    let name = RwSignal::new(String::new());
    let failure = Failure::new("channel-new", &FIELDS);
    let busy = RwSignal::new(false);
    let create = move || {
        let request = api::save_channel(ChannelForm {
            name: name.get_untracked(),
            ..ChannelForm::default()
        });
        failure.submit(busy, request, move |saved| {
            name.set(String::new());
            remember(console, saved);
        });
    };
    view! {
        <form
            class="form panel inline-form"
            data-testid="channel-new"
            on:submit=move |ev| {
                ev.prevent_default();
                create();
            }
        >
            <TextField label="New channel" value=name testid="channel-new-name" placeholder="e.g. Sales" />
            <button type="submit" class="primary" data-testid="channel-create" disabled=move || busy.get()>
                "Create"
            </button>
            {failure.field("name")}
            {failure.general()}
        </form>
    }
}

#[component]
fn ChannelRow(id: ChannelId, operators: RwSignal<Vec<OperatorAccount>>) -> impl IntoView {
    let console = expect_context::<Console>();
    let channel = Memo::new(move |_| {
        console
            .model
            .with(|m| m.channels.iter().find(|c| c.id == id).cloned())
    });
    let me = move || console.me_id().unwrap_or_default();
    let serving = move || channel.with(|c| c.as_ref().is_some_and(|c| c.serves(me())));
    let archived = move || channel.with(|c| c.as_ref().is_some_and(|c| c.archived));
    let name = move || channel.with(|c| c.as_ref().map(|c| c.name.clone()));
    let count = move || {
        let n = channel.with(|c| c.as_ref().map_or(0, |c| c.operators.len()));
        if n == 1 {
            "1 operator".to_owned()
        } else {
            format!("{n} operators")
        }
    };
    let busy = RwSignal::new(false);
    let join = move |join: bool| {
        busy.set(true);
        spawn_local(async move {
            match api::join_channel(api::JoinChannelInput { channel: id, join }).await {
                Ok(channels) => console.model.update(|m| m.channels = channels),
                Err(err) => console.report(&err),
            }
            busy.set(false);
        });
    };
    let editing = RwSignal::new(false);
    let admin = move || is_admin(console);
    view! {
        <li class="row channel-row" data-testid="channel-row" data-channel-id=id.to_string()>
            <span class="who" data-testid="channel-name">{name}</span>
            <span class="since">{count}</span>
            {move || archived().then(|| view! { <span class="tag" data-testid="channel-archived">"archived"</span> })}
            {move || serving().then(|| view! { <span class="tag channel" data-testid="channel-serving">"you serve it"</span> })}
            <span class="actions">
                {move || {
                    if serving() {
                        view! {
                            <button data-testid="channel-leave" disabled=move || busy.get() on:click=move |_| join(false)>
                                "Leave"
                            </button>
                        }
                            .into_any_at_once()
                    } else if archived() {
                        ().into_any_at_once()
                    } else {
                        view! {
                            <button class="primary" data-testid="channel-join" disabled=move || busy.get() on:click=move |_| join(true)>
                                "Join"
                            </button>
                        }
                            .into_any_at_once()
                    }
                }}
                <Show when=admin>
                    <button data-testid="channel-edit" on:click=move |_| editing.update(|e| *e = !*e)>
                        {move || if editing.get() { "Close" } else { "Edit" }}
                    </button>
                </Show>
            </span>
            <Show when=move || editing.get() && admin()>
                {move || channel.get().map(|c| view! { <ChannelEditor channel=c operators editing /> })}
            </Show>
        </li>
    }
}

/// The admin's form for one channel: name, archived, own settings and operators.
#[component]
fn ChannelEditor(
    channel: Channel,
    operators: RwSignal<Vec<OperatorAccount>>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let id = channel.id;
    let name = RwSignal::new(channel.name.clone());
    let archived = RwSignal::new(channel.archived);
    let name_required = RwSignal::new(channel.settings.visitor_name_required);
    let invitation = RwSignal::new(channel.settings.invitation_text.clone().unwrap_or_default());
    let signed_by = RwSignal::new(channel.settings.invitation_name.clone().unwrap_or_default());
    let routing = RwSignal::new(channel.settings.routing);
    let time_zone = RwSignal::new(
        channel
            .settings
            .hours
            .as_ref()
            .map(|h| h.time_zone.clone())
            .unwrap_or_default(),
    );
    let hours = RwSignal::new(
        channel
            .settings
            .hours
            .as_ref()
            .map(domain::hours::BusinessHours::schedule)
            .unwrap_or_default(),
    );
    let members = RwSignal::new(channel.operators.clone());
    let failure = Failure::new("channel", &FIELDS);
    let busy = RwSignal::new(false);
    let save = move || {
        let settings = api::save_channel(ChannelForm {
            id: Some(id),
            name: name.get_untracked(),
            archived: archived.get_untracked(),
            name_required: name_required.get_untracked(),
            invitation_text: invitation.get_untracked(),
            invitation_name: signed_by.get_untracked(),
            routing: routing.get_untracked(),
            time_zone: Some(time_zone.get_untracked()),
            business_hours: Some(hours.get_untracked()),
        });
        let operators = api::ChannelOperatorsInput {
            channel: id,
            operators: members.get_untracked(),
        };
        // The operators are set only once the rest is saved.
        let request = async move {
            settings.await?;
            api::set_channel_operators(operators).await
        };
        failure.submit(busy, request, move |saved| {
            remember(console, saved);
            editing.set(false);
        });
    };
    let toggle = move |operator: OperatorId, on: bool| {
        members.update(|list| {
            list.retain(|o| *o != operator);
            if on {
                list.push(operator);
            }
        });
    };
    view! {
        <form
            class="form channel-editor"
            data-testid="channel-editor"
            on:submit=move |ev| {
                ev.prevent_default();
                save();
            }
        >
            <TextField label="Name" value=name testid="channel-name-input" />
            {failure.field("name")}
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="channel-archived-input"
                    prop:checked=move || archived.get()
                    on:change=move |ev| archived.set(event_target_checked(&ev))
                />
                "Archived (takes no new chats)"
            </label>
            <label>
                "Visitor's name"
                <select
                    data-testid="channel-name-required"
                    on:change=move |ev| {
                        if let Some(rule) = chosen(&NAME_RULES, &event_target_value(&ev)) {
                            name_required.set(rule);
                        }
                    }
                >
                    {NAME_RULES
                        .into_iter()
                        .map(|(rule, value, label)| {
                            view! {
                                <option value=value selected=move || name_required.get() == rule>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Invitation text (blank: the general one)"
                <textarea
                    rows="3"
                    data-testid="channel-invitation"
                    prop:value=move || invitation.get()
                    on:input=move |ev| invitation.set(event_target_value(&ev))
                ></textarea>
            </label>
            {failure.field("invitation_text")}
            <TextField
                label="Name in invitations (blank: each operator's own)"
                value=signed_by
                testid="channel-invitation-name"
                placeholder="e.g. Acme Sales"
            />
            {failure.field("invitation_name")}
            <label>
                "Routing"
                <select
                    data-testid="channel-routing"
                    on:change=move |ev| {
                        if let Some(mode) = chosen(&ROUTINGS, &event_target_value(&ev)) {
                            routing.set(mode);
                        }
                    }
                >
                    {ROUTINGS
                        .into_iter()
                        .map(|(mode, value, label)| {
                            view! {
                                <option value=value selected=move || routing.get() == mode>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <TextField
                label="Business hours (blank: always open)"
                value=hours
                testid="channel-hours"
                placeholder="e.g. Mon-Fri 09:00-17:00, Sat 10:00-14:00"
            />
            {failure.field("business_hours")}
            <TextField
                label="Time zone of the business hours"
                value=time_zone
                testid="channel-time-zone"
                placeholder="e.g. Europe/Paris"
            />
            {failure.field("time_zone")}
            <fieldset data-testid="channel-operators">
                <legend>"Operators"</legend>
                {move || {
                    operators
                        .get()
                        .into_iter()
                        .filter(|o| !o.disabled)
                        .map(|o| {
                            let operator = o.id;
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        data-testid="channel-operator"
                                        data-email=o.email.clone()
                                        prop:checked=move || members.with(|m| m.contains(&operator))
                                        on:change=move |ev| toggle(operator, event_target_checked(&ev))
                                    />
                                    {o.name.clone()}
                                    " "
                                    <span class="hint">{o.email.clone()}</span>
                                </label>
                            }
                        })
                        .collect_view()
                }}
            </fieldset>
            {failure.field("operators")}
            <div class="actions">
                <button type="submit" class="primary" data-testid="channel-save" disabled=move || busy.get()>
                    "Save"
                </button>
            </div>
            {failure.general()}
        </form>
    }
}
