//! Operators (admins only): every operator account with its status, an inline edit and
//! disable/enable per account, and the form that adds an operator with the default password
//! (changed at first login). Disabling ends that operator's sessions at once. The server
//! decides everything, including that an admin cannot disable or demote themself; this page
//! shows its answers.

use domain::admin::OperatorAccount;
use domain::console::Role;
use domain::{ErrorCode, OperatorId};
use leptos::html;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;

use crate::api::{AddOperator, EditOperator, ResetPassword, SetOperatorDisabled, list_operators};
use crate::error::ConsoleError;
use crate::state::Console;

/// The roles an admin can give, lowest first.
const ROLES: [Role; 3] = [Role::Operator, Role::Supervisor, Role::Admin];

/// Why the last change failed, and where: the new-operator form (`row: None`) or an account's
/// row. One at a time, so the page never shows two.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Failure {
    row: Option<OperatorId>,
    message: String,
}

/// The accounts shown and the last failure, shared by the table and the new-operator form.
#[derive(Clone, Copy)]
struct Accounts {
    list: RwSignal<Vec<OperatorAccount>>,
    failure: RwSignal<Option<Failure>>,
}

impl Accounts {
    /// Takes a change's answer: the changed account replaces (or joins) the list, or the
    /// failure is shown at `row`. Answers whether the change went through.
    fn settle(
        self,
        row: Option<OperatorId>,
        answer: Result<OperatorAccount, ConsoleError>,
    ) -> bool {
        match answer {
            Ok(account) => {
                self.failure.set(None);
                self.list.update(|list| {
                    match list.iter_mut().find(|known| known.id == account.id) {
                        Some(known) => *known = account,
                        None => list.push(account),
                    }
                });
                true
            }
            Err(err) => {
                self.failure.set(Some(Failure {
                    row,
                    message: err.message().to_owned(),
                }));
                false
            }
        }
    }

    /// The failure to show at `row`, if the last one happened there.
    fn failure_at(self, row: Option<OperatorId>) -> Option<String> {
        self.failure.with(|failure| {
            failure
                .as_ref()
                .filter(|failure| failure.row == row)
                .map(|failure| failure.message.clone())
        })
    }

    /// The failure at `row`, as the page shows it.
    fn error_view(self, row: Option<OperatorId>) -> impl IntoView {
        move || {
            self.failure_at(row).map(|message| {
                view! { <p class="error" role="alert" data-testid="operator-error">{message}</p> }
            })
        }
    }
}

/// The Operators page.
#[component]
pub fn AdminOperatorsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let admin = move || is_admin(console);
    view! {
        <section class="page operators">
            <h1>"Operators"</h1>
            <Show when=admin fallback=AdminOnly>
                <OperatorAccounts />
            </Show>
        </section>
    }
}

/// Whether the logged-in operator is an admin (tracked): only admins see this page and its
/// link.
pub fn is_admin(console: Console) -> bool {
    console
        .me
        .with(|me| me.as_ref().is_some_and(|me| me.role == Role::Admin))
}

#[component]
fn AdminOnly() -> impl IntoView {
    view! { <p class="empty" data-testid="admin-only">"Only admins can manage operators."</p> }
}

/// Loads the accounts, then shows the table and the new-operator form.
#[component]
fn OperatorAccounts() -> impl IntoView {
    let accounts = Accounts {
        list: RwSignal::new(Vec::new()),
        failure: RwSignal::new(None),
    };
    let listed = crate::json::resource(|| (), |()| list_operators());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match listed.await {
                    Ok(list) => {
                        accounts.list.set(list);
                        view! {
                            <OperatorsTable accounts />
                            <NewOperatorForm accounts />
                        }
                            .into_any_at_once()
                    }
                    // The role changed since the console loaded.
                    Err(err) if err.code() == ErrorCode::Forbidden => view! { <AdminOnly /> }.into_any_at_once(),
                    Err(err) => view! {
                        <p class="error" data-testid="operator-error">{err.message().to_owned()}</p>
                    }
                        .into_any_at_once(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OperatorsTable(accounts: Accounts) -> impl IntoView {
    let ids = move || {
        accounts
            .list
            .with(|list| list.iter().map(|account| account.id).collect::<Vec<_>>())
    };
    view! {
        <table class="operators-table" data-testid="operators-table">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Chat name"</th>
                    <th>"Email"</th>
                    <th>"Role"</th>
                    <th>"Status"</th>
                    <th><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                <For each=ids key=|id| *id children=move |id| view! { <OperatorRow id accounts /> } />
            </tbody>
        </table>
    }
}

/// One account: its facts with Edit and Disable/Enable, or the inline edit form.
#[component]
fn OperatorRow(id: OperatorId, accounts: Accounts) -> impl IntoView {
    let console = expect_context::<Console>();
    let account = Memo::new(move |_| {
        accounts
            .list
            .with(|list| list.iter().find(|account| account.id == id).cloned())
    });
    let editing = RwSignal::new(false);
    let edit = ServerAction::<EditOperator>::new();
    let toggle = ServerAction::<SetOperatorDisabled>::new();
    Effect::new(move |_| {
        if let Some(answer) = edit.value().get() {
            if let Ok(account) = &answer
                && console.me_id() == Some(account.id)
            {
                // My own email or name changed: the sidebar follows.
                console.me.update(|me| {
                    if let Some(me) = me {
                        me.email = account.email.clone();
                        me.chat_name = account.shown_name().to_owned();
                    }
                });
            }
            if accounts.settle(Some(id), answer) {
                editing.set(false);
            }
        }
    });
    Effect::new(move |_| {
        if let Some(answer) = toggle.value().get() {
            accounts.settle(Some(id), answer);
        }
    });
    let reset = ServerAction::<ResetPassword>::new();
    Effect::new(move |_| {
        if let Some(answer) = reset.value().get() {
            accounts.settle(Some(id), answer);
        }
    });
    let mine = move || console.me_id() == Some(id);
    let cancel = move |_| {
        editing.set(false);
        if accounts.failure_at(Some(id)).is_some() {
            accounts.failure.set(None);
        }
    };

    move || {
        account.get().map(|account| {
            let (email, disabled) = (account.email.clone(), account.disabled);
            let cells = if editing.get() {
                view! {
                    <td colspan="6">
                        <ActionForm action=edit attr:class="form inline-edit" attr:data-testid="edit-operator-form">
                            <input type="hidden" name="input[id]" value=id.to_string() />
                            <label>
                                "Email"
                                <input type="email" name="input[email]" value=account.email.clone() required data-testid="operator-email" />
                            </label>
                            <label>
                                "Name"
                                <input type="text" name="input[name]" value=account.name.clone() required data-testid="operator-name" />
                            </label>
                            <label>
                                "Role"
                                <RoleSelect testid="operator-role" selected=account.role />
                            </label>
                            {accounts.error_view(Some(id))}
                            <div class="actions">
                                <button type="submit" class="primary" data-testid="save-operator" disabled=move || edit.pending().get()>
                                    "Save"
                                </button>
                                <button type="button" data-testid="cancel-edit" on:click=cancel>"Cancel"</button>
                            </div>
                        </ActionForm>
                    </td>
                }
                .into_any_at_once()
            } else {
                let (status, status_class) = status(&account);
                let chat_name = account.chat_name.clone();
                view! {
                    <td class="who">
                        {account.name.clone()}
                        {mine().then(|| view! { <span class="tag">"you"</span> })}
                    </td>
                    <td>{chat_name}</td>
                    <td>{account.email.clone()}</td>
                    <td data-testid="operator-role-shown">{role_label(account.role)}</td>
                    <td><span class=status_class data-testid="operator-status">{status}</span></td>
                    <td>
                        <div class="actions">
                            <button type="button" data-testid="edit-operator" on:click=move |_| editing.set(true)>
                                "Edit"
                            </button>
                            {(!mine()).then(|| view! {
                                <ActionForm action=toggle attr:class="inline">
                                    <input type="hidden" name="input[id]" value=id.to_string() />
                                    <input type="hidden" name="input[disabled]" value=(!account.disabled).to_string() />
                                    <button type="submit" data-testid="toggle-disabled" disabled=move || toggle.pending().get()>
                                        {if account.disabled { "Enable" } else { "Disable" }}
                                    </button>
                                </ActionForm>
                            })}
                            {(!mine()).then(|| view! {
                                <ActionForm action=reset attr:class="inline">
                                    <input type="hidden" name="id" value=id.to_string() />
                                    <button
                                        type="submit"
                                        data-testid="reset-password"
                                        title="Give back the first password, \"password\": their sessions end and they must choose a new one at their next login"
                                        disabled=move || reset.pending().get()
                                    >
                                        "Reset password"
                                    </button>
                                </ActionForm>
                            })}
                        </div>
                        {accounts.error_view(Some(id))}
                    </td>
                }
                .into_any_at_once()
            };
            view! {
                <tr data-testid="operator-row" data-email=email class:disabled=disabled>
                    {cells}
                </tr>
            }
        })
    }
}

/// Adds an operator; on success says how they log in and empties the form.
#[component]
fn NewOperatorForm(accounts: Accounts) -> impl IntoView {
    let add = ServerAction::<AddOperator>::new();
    let form = NodeRef::<html::Form>::new();
    let created = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(answer) = add.value().get() {
            let email = answer.as_ref().ok().map(|account| account.email.clone());
            if accounts.settle(None, answer)
                && let Some(form) = form.get_untracked()
            {
                form.reset();
            }
            created.set(email);
        }
    });
    view! {
        <section class="panel new-operator">
            <h2>"New operator"</h2>
            <ActionForm action=add node_ref=form attr:class="form" attr:data-testid="new-operator-form">
                <div class="fields">
                    <label>
                        "Email"
                        <input type="email" name="input[email]" autocomplete="off" required data-testid="new-email" />
                    </label>
                    <label>
                        "Name"
                        <input type="text" name="input[name]" autocomplete="off" required data-testid="new-name" />
                    </label>
                    <label>
                        "Role"
                        <RoleSelect testid="new-role" selected=Role::Operator />
                    </label>
                </div>
                <p class="hint">"New operators start with the default password and choose their own at first login."</p>
                {accounts.error_view(None)}
                {move || created.get().map(|email| view! {
                    <p class="success" data-testid="operator-created">
                        {format!("Created {email}. They log in with the password \"password\" and must change it.")}
                    </p>
                })}
                <div>
                    <button type="submit" class="primary" data-testid="create-operator" disabled=move || add.pending().get()>
                        "Create operator"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// The `role` field of a form (`input[role]`).
#[component]
fn RoleSelect(testid: &'static str, selected: Role) -> impl IntoView {
    view! {
        <select name="input[role]" data-testid=testid>
            {ROLES
                .into_iter()
                .map(|role| view! { <option value=role.as_str() selected=role == selected>{role_label(role)}</option> })
                .collect_view()}
        </select>
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Operator => "Operator",
        Role::Supervisor => "Supervisor",
        Role::Admin => "Admin",
    }
}

/// What the Status column says, and its class.
fn status(account: &OperatorAccount) -> (&'static str, &'static str) {
    if account.disabled {
        ("Disabled", "tag status disabled")
    } else if account.must_change_password {
        ("must change password", "tag status pending")
    } else {
        ("Active", "tag status active")
    }
}
