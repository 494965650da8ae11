//! `switchboard`: starts the server on embedded SQLite and prints where to find the console.
#![recursion_limit = "256"]

use std::process::ExitCode;

use engine::store::Database;
use engine::{Engine, EngineConfig};
use leptos::prelude::LeptosOptions;
use server::config::{Config, LogFormat, Parsed};
use server::{AppState, Settings};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::parse(std::env::args().skip(1), |key| std::env::var(key).ok()) {
        Ok(Parsed::Run(config)) => *config,
        Ok(Parsed::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::CreateToken {
            database_url,
            email,
            name,
        }) => {
            return match create_token(&database_url, &email, &name).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("switchboard: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        Ok(Parsed::AddOperator {
            database_url,
            email,
            name,
            role,
        }) => {
            return match add_operator(&database_url, email, name, role).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("switchboard: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        Err(message) => {
            eprintln!("switchboard: {message}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
    }
    match serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("switchboard: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn add_operator(
    database_url: &str,
    email: String,
    name: String,
    role: domain::console::Role,
) -> Result<(), String> {
    let store = Database::connect(database_url)
        .await
        .map_err(|err| format!("cannot open {database_url}: {err}"))?;
    let engine = Engine::new(store.store(), EngineConfig::default());
    let created = engine
        .create_operator(engine::NewOperator { email, name, role })
        .await
        .map_err(|err| err.message)?;
    println!(
        "Created {} {} (password: password — change it at first login)",
        created.role.as_str(),
        created.email
    );
    store.close().await;
    Ok(())
}

async fn create_token(database_url: &str, email: &str, name: &str) -> Result<(), String> {
    let store = Database::connect(database_url)
        .await
        .map_err(|err| format!("cannot open {database_url}: {err}"))?;
    let engine = Engine::new(store.store(), EngineConfig::default());
    let created = engine
        .create_access_token_for(email, name)
        .await
        .map_err(|err| err.message)?;
    // The secret alone on standard output, so a script can capture it; it is shown only once.
    eprintln!(
        "Created the token \"{}\" for {email}; it is shown only this once:",
        created.token.name
    );
    println!("{}", created.secret);
    store.close().await;
    Ok(())
}

async fn serve(config: Config) -> Result<(), String> {
    let store = Database::connect(&config.database_url)
        .await
        .map_err(|err| format!("cannot open {}: {err}", config.database_url))?;
    let engine = Engine::new(
        store.store(),
        EngineConfig {
            visitor_name_required: config.visitor_name_required,
            visitor_idle_ms: i64::from(config.visitor_idle_days) * 24 * 60 * 60 * 1000,
            visitor_gone_ms: i64::from(config.visitor_gone_seconds) * 1000,
            mail: config.mail.clone(),
            ..EngineConfig::default()
        },
    );
    engine.ready().await;
    let first_admin = engine
        .ensure_first_admin(&config.admin_email)
        .await
        .map_err(|err| format!("cannot create the first admin: {err}"))?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", config.bind))?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("cannot read the listening address: {err}"))?;
    let leptos_options = LeptosOptions::builder()
        .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "switchboard".into()))
        .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
        .site_addr(address)
        .build();
    let state = AppState::new(
        engine,
        leptos_options,
        Settings {
            allowed_origins: config.allowed_origins.clone(),
            secure_cookies: config.secure_cookies,
            site_root: config.site_root.clone(),
            public_url: config.public_url.clone(),
            trust_proxy: config.trust_proxy,
            demo: config.demo,
            no_rate_limits: config.no_rate_limits,
        },
    );

    let console = match &config.public_url {
        Some(public) => public.origin(),
        None => format!("http://{address}"),
    };
    tracing::info!(%address, version = env!("CARGO_PKG_VERSION"), "listening");
    println!("Switchboard is listening on http://{address}/");
    println!("  Operator console: {console}/");
    if config.demo {
        println!("  Demo site with the chat bubble: {console}/demo");
    }
    match first_admin {
        Some(email) => {
            println!("  First admin: {email} (password: password — change it at first login)")
        }
        None => println!("  Log in with an existing operator account."),
    }
    println!("Press Ctrl-C to stop.");

    server::run(listener, state, async {
        stop_requested().await;
        println!("Shutting down…");
    })
    .await
    .map_err(|err| format!("server error: {err}"))?;
    store.close().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM (what `systemctl stop`, `docker stop` and Kubernetes send): both shut
/// down gracefully, ending open streams and finishing requests under way.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
