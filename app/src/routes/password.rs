//! The forced password change: while an operator still has the default password, this is the
//! only page they can use.

use leptos::prelude::*;

use crate::components::password_form::PasswordForm;

/// The forced password change page.
#[component]
pub fn ForcedPasswordPage() -> impl IntoView {
    view! {
        <main class="centered">
            <div class="card">
                <h1>"Choose your password"</h1>
                <p class="muted">
                    "You are still using the default password. Choose your own before you start."
                </p>
                <PasswordForm submit="Change password" on_done=go_to_dashboard />
            </div>
        </main>
    }
}

fn go_to_dashboard() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href("/");
    }
}
