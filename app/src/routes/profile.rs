//! My profile: who I am, how visitors see me (online chat name, chat languages, the name in
//! invitations), the password change form, and my personal access tokens for the operator API.

use domain::admin::OperatorAccount;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api::{
    CreateAccessToken, SaveProfile, list_access_tokens, load_invitation, load_profile,
    revoke_access_token,
};
use crate::components::password_form::PasswordForm;
use crate::error::failure_message;
use crate::routes::action_log::date_time;
use crate::state::Console;

/// The profile page.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let console = expect_context::<Console>();
    let me = move || console.me.get();
    view! {
        <section class="page profile">
            <h1>"My profile"</h1>
            <dl class="facts">
                <dt>"Email"</dt>
                <dd>{move || me().map(|m| m.email)}</dd>
                <dt>"Name shown to visitors"</dt>
                <dd>{move || me().map(|m| m.chat_name)}</dd>
                <dt>"Role"</dt>
                <dd>{move || me().map(|m| m.role.as_str())}</dd>
            </dl>
            <h2>"Chat preferences"</h2>
            <PreferencesForm />
            <h2>"Change password"</h2>
            <PasswordForm submit="Change password" on_done=|| {} />
            <h2>"Access tokens"</h2>
            <AccessTokens />
        </section>
    }
}

/// Loads my account, then the form for the online chat name, chat languages and invitation
/// name.
#[component]
fn PreferencesForm() -> impl IntoView {
    let profile = crate::json::resource(|| (), |()| load_profile());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(account) => view! { <Preferences account /> }.into_any_at_once(),
                    Err(err) => view! {
                        <p class="error" data-testid="profile-error">{err.message().to_owned()}</p>
                    }
                        .into_any_at_once(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Preferences(account: OperatorAccount) -> impl IntoView {
    let console = expect_context::<Console>();
    let save = ServerAction::<SaveProfile>::new();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            // The sidebar shows the new name at once.
            console.me.update(|me| {
                if let Some(me) = me {
                    me.chat_name = saved.shown_name().to_owned();
                }
            });
        }
    });
    let saved = move || save.value().with(|answer| matches!(answer, Some(Ok(_))));
    let error = move || failure_message(save.value().get());
    // The invitation visitors get from me, as the settings and my name make it. Fetched in the
    // browser only (after each save too), so the server-rendered form hydrates unchanged and
    // nothing waits for it.
    let invitation = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        save.version().track();
        spawn_local(async move {
            if let Ok(text) = load_invitation(None).await {
                invitation.set(Some(text));
            }
        });
    });
    view! {
        <ActionForm action=save attr:class="form profile-form" attr:data-testid="profile-form">
            <label>
                "Online chat name"
                <input
                    type="text"
                    name="input[chat_name]"
                    value=account.chat_name
                    placeholder=account.name
                    autocomplete="off"
                    data-testid="chat-name"
                />
                <span class="hint">"Shown to visitors; empty means your name."</span>
            </label>
            <label>
                "Chat languages"
                <input
                    type="text"
                    name="input[languages]"
                    value=account.languages.join(", ")
                    placeholder="e.g. en, de"
                    autocomplete="off"
                    data-testid="languages"
                />
                <span class="hint">"The languages you chat in: codes like en or de-AT, separated by commas."</span>
            </label>
            <label>
                "Name in invitations"
                <input
                    type="text"
                    name="input[invitation_name]"
                    value=account.invitation_name
                    placeholder="empty means your chat name"
                    autocomplete="off"
                    data-testid="invitation-name"
                />
                <span class="hint">
                    "Your invitation reads: "
                    <q data-testid="invitation-preview">
                        {move || invitation.get()}
                    </q>
                </span>
            </label>
            {move || error().map(|message| view! { <p class="error" role="alert" data-testid="profile-error">{message}</p> })}
            {move || saved().then(|| view! { <p class="success" data-testid="profile-saved">"Your profile has been saved."</p> })}
            <div>
                <button type="submit" class="primary" data-testid="save-profile" disabled=move || save.pending().get()>
                    "Save"
                </button>
            </div>
        </ActionForm>
    }
}

/// Personal access tokens: scripts and integrations send one as `Authorization: Bearer` to
/// act as me through the operator API. A new token's secret is shown once, here.
#[component]
fn AccessTokens() -> impl IntoView {
    let create = ServerAction::<CreateAccessToken>::new();
    let revoked = RwSignal::new(0_u32);
    let revoke_error = RwSignal::new(None::<String>);
    let tokens = crate::json::resource(
        move || (create.version().get(), revoked.get()),
        |_| list_access_tokens(),
    );
    let error = move || failure_message(create.value().get());
    let secret = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .map(|made| (made.token.name, made.secret))
    };
    let revoke = move |id: domain::AccessTokenId| {
        spawn_local(async move {
            match revoke_access_token(id).await {
                Ok(()) => revoke_error.set(None),
                Err(err) => revoke_error.set(Some(err.message().to_owned())),
            }
            revoked.update(|n| *n += 1);
        });
    };
    view! {
        <p class="hint">
            "Scripts and integrations use a token to work as you through the operator API "
            "(" <code>"Authorization: Bearer sbp_…"</code> "). Revoking one ends its access at once."
        </p>
        <ActionForm action=create attr:class="form token-form" attr:data-testid="token-form">
            <label>
                "Token name"
                <input
                    type="text"
                    name="name"
                    required
                    maxlength=domain::token::MAX_NAME_CHARS
                    placeholder="e.g. CRM sync"
                    autocomplete="off"
                    data-testid="token-name"
                />
            </label>
            {move || error().map(|message| view! { <p class="error" role="alert" data-testid="token-error">{message}</p> })}
            <div>
                <button type="submit" class="primary" data-testid="create-token" disabled=move || create.pending().get()>
                    "Create token"
                </button>
            </div>
        </ActionForm>
        {move || secret().map(|(name, secret)| view! {
            <div class="token-secret" role="status" data-testid="token-created">
                <p>"Your new token \u{201c}" {name} "\u{201d}. Copy it now: it will not be shown again."</p>
                <code data-testid="token-secret">{secret}</code>
            </div>
        })}
        {move || revoke_error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty" data-testid="tokens-empty">"You have no access tokens."</p>
                    }.into_any_at_once(),
                    Ok(list) => view! {
                        <table class="tokens" data-testid="tokens">
                            <thead>
                                <tr><th scope="col">"Name"</th><th scope="col">"Created (UTC)"</th><th scope="col">"Last used (UTC)"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|token| {
                                    let id = token.id;
                                    let label = format!("Revoke the token {}", token.name);
                                    view! {
                                        <tr data-testid="token-row">
                                            <td>{token.name}</td>
                                            <td>{date_time(token.created_at)}</td>
                                            <td>{token.last_used_at.map_or_else(|| "never".to_owned(), date_time)}</td>
                                            <td>
                                                <button type="button" class="danger" aria-label=label data-testid="revoke-token" on:click=move |_| revoke(id)>
                                                    "Revoke"
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any_at_once(),
                    Err(err) => view! { <p class="error">{err.message().to_owned()}</p> }.into_any_at_once(),
                }
            })}
        </Suspense>
    }
}
