//! My profile: who I am and the password change form.

use leptos::prelude::*;

use crate::components::password_form::PasswordForm;
use crate::state::Console;

/// The profile page.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let console = expect_context::<Console>();
    let me = move || console.me.get();
    view! {
        <section class="page">
            <h1>"My profile"</h1>
            <dl class="facts">
                <dt>"Email"</dt>
                <dd>{move || me().map(|m| m.email)}</dd>
                <dt>"Name shown to visitors"</dt>
                <dd>{move || me().map(|m| m.chat_name)}</dd>
                <dt>"Role"</dt>
                <dd>{move || me().map(|m| m.role.as_str())}</dd>
            </dl>
            <h2>"Change password"</h2>
            <PasswordForm submit="Change password" on_done=|| {} />
        </section>
    }
}
