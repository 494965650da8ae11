//! Webhooks (admins): the URLs told about chats by signed POSTs, the form that adds one, and the
//! delivery log showing each delivery's tries. The server checks everything; this page shows
//! its answers.

use domain::WebhookId;
use domain::webhook::{Delivery, DeliveryState, Webhook, WebhookEvent, WebhookForm};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::routes::action_log::date_time;

/// The Webhooks page.
#[component]
pub fn AdminWebhooksPage() -> impl IntoView {
    // Bumped after every change, and by "Refresh": both lists load again.
    let changes = RwSignal::new(0_u32);
    let hooks = crate::json::resource(move || changes.get(), |_| api::list_webhooks());
    let deliveries = crate::json::resource(move || changes.get(), |_| api::webhook_deliveries());
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![
        WebhookEvent::ChatStarted,
        WebhookEvent::Message,
        WebhookEvent::Closed,
    ]);
    let allow_private = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let form = WebhookForm {
            id: None,
            url: url.get_untracked(),
            events: chosen.get_untracked(),
            allow_private: allow_private.get_untracked(),
            enabled: true,
        };
        spawn_local(async move {
            match api::save_webhook(form).await {
                Ok(_) => {
                    url.set(String::new());
                    error.set(None);
                    changes.update(|n| *n += 1);
                }
                Err(err) => error.set(Some(err.message().to_owned())),
            }
            busy.set(false);
        });
    };
    let change = move |form: WebhookForm| {
        spawn_local(async move {
            match api::save_webhook(form).await {
                Ok(_) => error.set(None),
                Err(err) => error.set(Some(err.message().to_owned())),
            }
            changes.update(|n| *n += 1);
        });
    };
    let remove = move |id: WebhookId| {
        spawn_local(async move {
            match api::delete_webhook(id).await {
                Ok(()) => error.set(None),
                Err(err) => error.set(Some(err.message().to_owned())),
            }
            changes.update(|n| *n += 1);
        });
    };

    view! {
        <section class="page webhooks">
            <h1>"Webhooks"</h1>
            <p class="hint">
                "Each URL is sent a signed POST (Standard Webhooks: " <code>"webhook-id"</code> ", "
                <code>"webhook-timestamp"</code> ", " <code>"webhook-signature"</code>
                ") when one of its events happens. Failed deliveries are tried again for about 14 hours."
            </p>
            <form class="form webhook-form" data-testid="webhook-form" on:submit=add>
                <label>
                    "URL"
                    <input
                        type="url"
                        required
                        placeholder="https://hooks.example.com/switchboard"
                        data-testid="webhook-url"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                </label>
                <fieldset>
                    <legend>"Events"</legend>
                    {WebhookEvent::ALL
                        .into_iter()
                        .map(|kind| {
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        data-testid=format!("webhook-event-{}", kind.as_str())
                                        prop:checked=move || chosen.with(|c| c.contains(&kind))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen.update(|c| {
                                                c.retain(|k| *k != kind);
                                                if on {
                                                    c.push(kind);
                                                }
                                            });
                                        }
                                    />
                                    {kind.label()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="webhook-allow-private"
                        prop:checked=move || allow_private.get()
                        on:change=move |ev| allow_private.set(event_target_checked(&ev))
                    />
                    "Allow private addresses (this network, loopback)"
                </label>
                {move || error.get().map(|message| view! { <p class="error" role="alert" data-testid="webhook-error">{message}</p> })}
                <div>
                    <button type="submit" class="primary" data-testid="add-webhook" disabled=move || busy.get()>
                        "Add webhook"
                    </button>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match hooks.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty" data-testid="webhooks-none">"No webhooks yet."</p>
                        }.into_any_at_once(),
                        Ok(list) => view! {
                            <ul class="webhook-list">
                                {list.into_iter().map(|hook| view! { <HookItem hook change remove /> }).collect_view()}
                            </ul>
                        }.into_any_at_once(),
                        Err(err) => view! { <p class="error">{err.message().to_owned()}</p> }.into_any_at_once(),
                    }
                })}
            </Transition>
            <h2>"Delivery log"</h2>
            <div class="toolbar">
                <button type="button" data-testid="refresh-deliveries" on:click=move |_| changes.update(|n| *n += 1)>
                    "Refresh"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match deliveries.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty" data-testid="deliveries-none">"Nothing delivered yet."</p>
                        }.into_any_at_once(),
                        Ok(list) => view! { <DeliveryLog list /> }.into_any_at_once(),
                        Err(err) => view! { <p class="error">{err.message().to_owned()}</p> }.into_any_at_once(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One webhook: its URL and events, its secret, and its controls.
#[component]
fn HookItem(
    hook: Webhook,
    change: impl Fn(WebhookForm) + Copy + Send + Sync + 'static,
    remove: impl Fn(WebhookId) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let id = hook.id;
    let toggled = WebhookForm {
        id: Some(hook.id),
        url: hook.url.clone(),
        events: hook.events.clone(),
        allow_private: hook.allow_private,
        enabled: !hook.enabled,
    };
    let events = hook
        .events
        .iter()
        .map(|kind| kind.label())
        .collect::<Vec<_>>()
        .join(", ");
    let secret = hook.secret.clone();
    let url = hook.url.clone();
    view! {
        <li class="webhook" data-testid="webhook" data-enabled=hook.enabled.to_string()>
            <div class="webhook-url"><code>{hook.url.clone()}</code>
                {(!hook.enabled).then(|| view! { <span class="tag">"paused"</span> })}
                {hook.allow_private.then(|| view! { <span class="tag">"private addresses allowed"</span> })}
            </div>
            <div class="webhook-events">{events}</div>
            <div class="webhook-secret">
                "Signing secret: "
                {move || if shown.get() {
                    view! { <code data-testid="webhook-secret">{secret.clone()}</code> }.into_any_at_once()
                } else {
                    view! { <span>"whsec_••••••••"</span> }.into_any_at_once()
                }}
                <button type="button" class="link" data-testid="show-secret" on:click=move |_| shown.update(|s| *s = !*s)>
                    {move || if shown.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            <div class="actions">
                <button type="button" data-testid="toggle-webhook" on:click=move |_| change(toggled.clone())>
                    {if hook.enabled { "Pause" } else { "Resume" }}
                </button>
                {move || if confirming.get() {
                    view! {
                        <span role="group" aria-label=format!("Remove {url}?")>
                            "Remove it and its pending deliveries? "
                            <button type="button" class="danger" data-testid="confirm-delete-webhook" on:click=move |_| remove(id)>"Remove"</button>
                            <button type="button" on:click=move |_| confirming.set(false)>"Keep"</button>
                        </span>
                    }.into_any_at_once()
                } else {
                    view! {
                        <button type="button" class="danger" data-testid="delete-webhook" on:click=move |_| confirming.set(true)>"Remove"</button>
                    }.into_any_at_once()
                }}
            </div>
        </li>
    }
}

fn state_text(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "pending",
        DeliveryState::Delivered => "delivered",
        DeliveryState::Failed => "failed",
    }
}

/// The newest deliveries and how each went.
#[component]
fn DeliveryLog(list: Vec<Delivery>) -> impl IntoView {
    view! {
        <table class="deliveries" data-testid="deliveries">
            <thead>
                <tr>
                    <th scope="col">"Queued (UTC)"</th>
                    <th scope="col">"Event"</th>
                    <th scope="col">"URL"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Tries"</th>
                    <th scope="col">"Last answer"</th>
                    <th scope="col">"Next try (UTC)"</th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|delivery| {
                    let answer = match (delivery.last_status, delivery.last_error.clone()) {
                        (Some(status), Some(error)) => format!("{status}: {error}"),
                        (Some(status), None) => status.to_string(),
                        (None, Some(error)) => error,
                        (None, None) => "—".to_owned(),
                    };
                    view! {
                        <tr data-testid="delivery" data-state=state_text(delivery.state)>
                            <td>{date_time(delivery.created_at)}</td>
                            <td>{delivery.event.as_str()}</td>
                            <td><code>{delivery.url}</code></td>
                            <td>{state_text(delivery.state)}</td>
                            <td>{delivery.attempts}</td>
                            <td>{answer}</td>
                            <td>{delivery.next_attempt_at.map(date_time).unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
