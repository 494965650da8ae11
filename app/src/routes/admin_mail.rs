//! Email (admins): which SMTP server mail leaves through (set by flags or the environment, so
//! a password never sits in the database), a test mail, and the outbox with each mail's fate.

use domain::mail::{MailState, OutboxEntry, TestMail};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::routes::action_log::date_time;

/// The Email page.
#[component]
pub fn AdminMailPage() -> impl IntoView {
    let changes = RwSignal::new(0_u32);
    let overview = crate::json::resource(move || changes.get(), |_| api::mail_page());
    let to = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);

    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let form = TestMail {
            to: to.get_untracked(),
        };
        spawn_local(async move {
            notice.set(Some(match api::send_test_mail(form).await {
                Ok(address) => Ok(format!(
                    "A test email to {address} is on its way; its fate shows below."
                )),
                Err(err) => Err(err.message().to_owned()),
            }));
            busy.set(false);
            changes.update(|n| *n += 1);
        });
    };

    view! {
        <section class="page mail">
            <h1>"Email"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => {
                            let server = match overview.server.clone() {
                                Some(server) => view! {
                                    <dl class="facts" data-testid="mail-server">
                                        <dt>"SMTP server"</dt><dd>{server}</dd>
                                        <dt>"Login"</dt><dd>{overview.username.clone().unwrap_or_else(|| "none".to_owned())}</dd>
                                        <dt>"Sender"</dt><dd>{overview.from.clone().unwrap_or_default()}</dd>
                                    </dl>
                                }.into_any_at_once(),
                                None => view! {
                                    <p class="notice" data-testid="mail-off">
                                        "No SMTP server is set up, so no email is sent: visitors cannot have their transcript mailed. Start the server with "
                                        <code>"--smtp-host"</code> ", " <code>"--smtp-from"</code>
                                        " (and " <code>"--smtp-port"</code> ", " <code>"--smtp-tls"</code> ", "
                                        <code>"--smtp-user"</code> ", " <code>"SWITCHBOARD_SMTP_PASSWORD"</code>
                                        " as your server needs)."
                                    </p>
                                }.into_any_at_once(),
                            };
                            view! {
                                {server}
                                <h2>"Outbox"</h2>
                                <p class="hint">
                                    "Mail waits here until the SMTP server takes it; a mail it cannot take now is tried again for about a day."
                                </p>
                                <Outbox list=overview.outbox />
                            }.into_any_at_once()
                        }
                        Err(err) => view! { <p class="error">{err.message().to_owned()}</p> }.into_any_at_once(),
                    }
                })}
            </Transition>
            <h2>"Send test email"</h2>
            <form class="form" data-testid="test-mail-form" on:submit=send>
                <label>
                    "To (empty: your own address)"
                    <input
                        type="email"
                        data-testid="test-mail-to"
                        prop:value=move || to.get()
                        on:input=move |ev| to.set(event_target_value(&ev))
                    />
                </label>
                {move || notice.get().map(|n| match n {
                    Ok(text) => view! { <p class="ok" role="status" data-testid="test-mail-sent">{text}</p> }.into_any_at_once(),
                    Err(text) => view! { <p class="error" role="alert" data-testid="test-mail-error">{text}</p> }.into_any_at_once(),
                })}
                <div class="actions">
                    <button type="submit" class="primary" data-testid="send-test-mail" disabled=move || busy.get()>
                        "Send test email"
                    </button>
                    <button type="button" data-testid="refresh-outbox" on:click=move |_| changes.update(|n| *n += 1)>
                        "Refresh"
                    </button>
                </div>
            </form>
        </section>
    }
}

fn state_text(state: MailState) -> &'static str {
    match state {
        MailState::Pending => "waiting",
        MailState::Sent => "sent",
        MailState::Failed => "failed",
    }
}

/// The newest mails and how each went.
#[component]
fn Outbox(list: Vec<OutboxEntry>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty" data-testid="outbox-empty">"No mail yet."</p> }
            .into_any_at_once();
    }
    view! {
        <table class="outbox" data-testid="outbox">
            <thead>
                <tr>
                    <th scope="col">"Queued (UTC)"</th>
                    <th scope="col">"To"</th>
                    <th scope="col">"Subject"</th>
                    <th scope="col">"Why"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Tries"</th>
                    <th scope="col">"Last error"</th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|mail| view! {
                    <tr data-testid="outbox-mail" data-state=state_text(mail.state)>
                        <td>{date_time(mail.created_at)}</td>
                        <td>{mail.recipient}</td>
                        <td>{mail.subject}</td>
                        <td>{mail.purpose.label()}</td>
                        <td>{state_text(mail.state)}</td>
                        <td>{mail.attempts}</td>
                        <td>{mail.last_error.unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any_at_once()
}
