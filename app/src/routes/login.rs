//! Operators log in with email and password.

use leptos::prelude::*;

use crate::api::Login;
use crate::error::failure_message;

/// The login page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let error = move || failure_message(action.value().get());
    view! {
        <main class="centered">
            <div class="card login">
                <h1 class="brand">"Switchboard"</h1>
                <p class="muted">"Log in to the operator console."</p>
                <ActionForm action attr:class="form" attr:data-testid="login-form">
                    <label>
                        "Email"
                        <input type="email" name="input[email]" autocomplete="username" required autofocus />
                    </label>
                    <label>
                        "Password"
                        <input type="password" name="input[password]" autocomplete="current-password" required />
                    </label>
                    {move || error().map(|message| view! { <p class="error" role="alert" data-testid="login-error">{message}</p> })}
                    <button type="submit" class="primary" disabled=move || action.pending().get()>
                        "Log in"
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
