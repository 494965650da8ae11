//! The user selection box of Invite and Transfer: the other operators online now.

use domain::OperatorId;
use domain::console::OnlineOperator;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;

use crate::api;

/// Lists the operators online when it opens; `on_pick` gets the one chosen.
#[component]
pub fn OperatorPicker(
    /// What picking does, e.g. "Invite an operator".
    title: &'static str,
    /// Called with the operator picked.
    on_pick: Callback<OperatorId>,
    /// Called when the operator cancels.
    on_close: Callback<()>,
) -> impl IntoView {
    let online = RwSignal::new(None::<Result<Vec<OnlineOperator>, String>>);
    leptos::task::spawn_local(async move {
        let listed = api::online_operators()
            .await
            .map_err(|err| err.message().to_owned());
        online.try_set(Some(listed));
    });
    let list = move || match online.get() {
        None => view! { <p class="muted">"Looking for operators…"</p> }.into_any_at_once(),
        Some(Err(message)) => view! { <p class="error">{message}</p> }.into_any_at_once(),
        Some(Ok(operators)) if operators.is_empty() => {
            view! { <p class="empty" data-testid="picker-empty">"No other operator is online"</p> }
                .into_any_at_once()
        }
        Some(Ok(operators)) => view! {
            <ul class="picker-list">
                {operators
                    .into_iter()
                    .map(|operator| {
                        let id = operator.id;
                        let dot = domain::console::Dot::online(operator.away, operator.unavailable);
                        view! {
                            <li>
                                <button
                                    class="picker-operator"
                                    data-testid="picker-operator"
                                    data-operator-id=id.to_string()
                                    on:click=move |_| on_pick.run(id)
                                >
                                    <span
                                        class=format!("dot {}", dot.as_str())
                                        data-testid="picker-dot"
                                        data-dot=dot.as_str()
                                        title=dot.label()
                                    ></span>
                                    <span>{operator.name}</span>
                                    <span class="muted">{operator.role.as_str()}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any_at_once(),
    };
    view! {
        <div class="picker" data-testid="operator-picker" role="dialog" aria-label=title>
            <div class="picker-head">
                <strong>{title}</strong>
                <button class="link" data-testid="picker-close" on:click=move |_| on_close.run(())>
                    "Cancel"
                </button>
            </div>
            {list}
        </div>
    }
}
