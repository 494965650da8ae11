//! My profile: who I am, how visitors see me (online chat name, chat languages, the name in
//! invitations) and the password change form.

use domain::admin::OperatorAccount;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{SaveProfile, load_invitation, load_profile};
use crate::components::password_form::PasswordForm;
use crate::error::failure_message;
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
        </section>
    }
}

/// Loads my account, then the form for the online chat name, chat languages and invitation
/// name.
#[component]
fn PreferencesForm() -> impl IntoView {
    let profile = Resource::new(|| (), |()| load_profile());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(account) => view! { <Preferences account /> }.into_any(),
                    Err(err) => view! {
                        <p class="error" data-testid="profile-error">{err.message().to_owned()}</p>
                    }
                        .into_any(),
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
                    name="chat_name"
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
                    name="languages"
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
                    name="invitation_name"
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
