//! What the engine's test suites share.

use domain::console::Role;
use engine::{Engine, NewOperator, Session};

/// A logged-in operator who has already replaced the default password.
#[allow(dead_code, reason = "not every suite needs every helper")]
pub async fn ready_operator(engine: &Engine, name: &str) -> Session {
    ready_with_role(engine, name, Role::Operator).await
}

/// A logged-in account with `role` that has already replaced the default password.
pub async fn ready_with_role(engine: &Engine, name: &str, role: Role) -> Session {
    let email = format!("{}@example.com", name.to_lowercase());
    engine
        .create_operator(NewOperator {
            email: email.clone(),
            name: name.into(),
            role,
        })
        .await
        .unwrap();
    let login = engine.login(&email, "password").await.unwrap();
    let session = engine.authenticate(&login.token).await.unwrap();
    engine
        .change_password(&session, "password", "s3cret-pass")
        .await
        .unwrap();
    let login = engine.login(&email, "s3cret-pass").await.unwrap();
    engine.authenticate(&login.token).await.unwrap()
}
