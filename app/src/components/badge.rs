//! A notification badge: a number in a coloured circle, hidden at zero.

use leptos::prelude::*;

/// Shows `count` when it is above zero.
#[component]
pub fn Badge(
    /// The number to show.
    #[prop(into)]
    count: Signal<usize>,
    /// Test id of the badge.
    testid: &'static str,
    /// What is counted, as a screen reader says it after the number ("waiting", "unread").
    what: &'static str,
) -> impl IntoView {
    move || {
        let count = count.get();
        (count > 0).then(|| {
            view! {
                <span class="badge" data-testid=testid aria-label=format!("{count} {what}")>
                    {count}
                </span>
            }
        })
    }
}
