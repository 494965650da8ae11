//! A labelled one-line text input bound to a signal, as the console's forms use it.

use leptos::prelude::*;

/// `<label>` with its text and an input that reads and writes `value`.
#[component]
pub fn TextField(
    /// The label's text.
    label: &'static str,
    /// The value, kept as the operator types.
    value: RwSignal<String>,
    /// The input's test id.
    testid: &'static str,
    /// Shown while empty.
    #[prop(optional)]
    placeholder: &'static str,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                type="text"
                autocomplete="off"
                placeholder=placeholder
                data-testid=testid
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}
