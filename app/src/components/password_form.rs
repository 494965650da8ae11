//! The password change form, used by the forced first change and by My profile.

use leptos::prelude::*;

use crate::api::ChangePassword;
use crate::error::failure_message;

/// Current, new and confirmation fields. Calls `on_done` after a successful change.
#[component]
pub fn PasswordForm(
    /// Label of the submit button.
    submit: &'static str,
    /// Runs after the password was changed.
    on_done: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let done = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            done.set(true);
            on_done();
        }
    });
    let error = move || failure_message(action.value().get());
    view! {
        <ActionForm action attr:class="form" attr:data-testid="password-form">
            <label>
                "Current password"
                <input type="password" name="input[current]" autocomplete="current-password" required />
            </label>
            <label>
                "New password"
                <input type="password" name="input[new_password]" autocomplete="new-password" minlength="8" required />
            </label>
            <label>
                "Repeat the new password"
                <input type="password" name="input[confirm]" autocomplete="new-password" minlength="8" required />
            </label>
            <p class="hint">"At least 8 characters, not the default password."</p>
            {move || error().map(|message| view! { <p class="error" role="alert" data-testid="password-error">{message}</p> })}
            {move || done.get().then(|| view! { <p class="success" data-testid="password-changed">"Your password has been changed."</p> })}
            <button type="submit" class="primary" disabled=move || action.pending().get()>
                {submit}
            </button>
        </ActionForm>
    }
}
