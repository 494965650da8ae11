//! Start-up configuration from flags, then environment variables, then defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What `switchboard --help` prints.
pub const USAGE: &str = "\
Switchboard — live-support chat server

Usage: switchboard [OPTIONS]

Options (each also read from the environment variable in brackets):
  --bind ADDR              Address to listen on [SWITCHBOARD_BIND] (default 127.0.0.1:3000;
                           port 0 picks a free port)
  --database-url URL       Database [SWITCHBOARD_DATABASE_URL] (default sqlite://switchboard.db;
                           the file is created and migrated on first start)
  --site-root DIR          Built console and bubble assets [LEPTOS_SITE_ROOT] (default target/site)
  --admin-email EMAIL      Email of the admin created on first start [SWITCHBOARD_ADMIN_EMAIL]
                           (default admin@switchboard.local)
  --allowed-origins LIST   Comma-separated origins of sites that embed the bubble, e.g.
                           https://www.example.com [SWITCHBOARD_ALLOWED_ORIGINS]
  --secure-cookies         Mark session cookies Secure; use behind TLS [SWITCHBOARD_SECURE_COOKIES=1]
  --visitor-name-optional  Let visitors start a chat without a name [SWITCHBOARD_VISITOR_NAME_OPTIONAL=1]
  -h, --help               Print this help
";

/// The server's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Listen address.
    pub bind: SocketAddr,
    /// Database URL.
    pub database_url: String,
    /// Site root.
    pub site_root: PathBuf,
    /// Email of the first admin.
    pub admin_email: String,
    /// Origins allowed to use the visitor API.
    pub allowed_origins: Vec<String>,
    /// `Secure` session cookies.
    pub secure_cookies: bool,
    /// Visitors must give a name.
    pub visitor_name_required: bool,
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run with this configuration.
    Run(Config),
    /// Print the usage.
    Help,
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

impl Config {
    /// Parses arguments (without the program name) and the environment.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Parsed, String> {
        let mut bind = env("SWITCHBOARD_BIND");
        let mut database_url = env("SWITCHBOARD_DATABASE_URL");
        let mut site_root = env("LEPTOS_SITE_ROOT");
        let mut admin_email = env("SWITCHBOARD_ADMIN_EMAIL");
        let mut allowed_origins = env("SWITCHBOARD_ALLOWED_ORIGINS");
        let mut secure_cookies = env("SWITCHBOARD_SECURE_COOKIES").is_some_and(|v| truthy(&v));
        let mut name_optional =
            env("SWITCHBOARD_VISITOR_NAME_OPTIONAL").is_some_and(|v| truthy(&v));

        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_owned(), Some(value.to_owned()))
                }
                _ => (arg.clone(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{name} needs a value (see --help)"))
            };
            match flag.as_str() {
                "-h" | "--help" => return Ok(Parsed::Help),
                "--bind" => bind = Some(value("--bind")?),
                "--database-url" => database_url = Some(value("--database-url")?),
                "--site-root" => site_root = Some(value("--site-root")?),
                "--admin-email" => admin_email = Some(value("--admin-email")?),
                "--allowed-origins" => allowed_origins = Some(value("--allowed-origins")?),
                "--secure-cookies" => secure_cookies = true,
                "--visitor-name-optional" => name_optional = true,
                other => return Err(format!("unknown option {other:?} (see --help)")),
            }
        }
        let bind = bind.unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let bind = bind
            .parse()
            .map_err(|_| format!("--bind: {bind:?} is not an address like 127.0.0.1:3000"))?;
        let database_url = database_url.unwrap_or_else(|| "sqlite://switchboard.db".to_owned());
        if !database_url.starts_with("sqlite:") {
            return Err(format!(
                "--database-url: {database_url:?} is not supported; use sqlite://PATH"
            ));
        }
        Ok(Parsed::Run(Config {
            bind,
            database_url,
            site_root: PathBuf::from(site_root.unwrap_or_else(|| "target/site".to_owned())),
            admin_email: admin_email.unwrap_or_else(|| "admin@switchboard.local".to_owned()),
            allowed_origins: allowed_origins
                .unwrap_or_default()
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            secure_cookies,
            visitor_name_required: !name_optional,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Parsed, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::parse(args.iter().map(|a| (*a).to_owned()), move |key| {
            env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_then_env_then_flags() {
        let Ok(Parsed::Run(config)) = parse(&[], &[]) else {
            panic!()
        };
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite://switchboard.db");
        assert!(config.visitor_name_required);

        let env = [
            ("SWITCHBOARD_BIND", "127.0.0.1:4000"),
            (
                "SWITCHBOARD_ALLOWED_ORIGINS",
                "https://a.example/, https://b.example",
            ),
        ];
        let Ok(Parsed::Run(config)) = parse(
            &["--database-url=sqlite://x.db", "--visitor-name-optional"],
            &env,
        ) else {
            panic!()
        };
        assert_eq!(config.bind.to_string(), "127.0.0.1:4000");
        assert_eq!(config.database_url, "sqlite://x.db");
        assert_eq!(
            config.allowed_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert!(!config.visitor_name_required);

        let Ok(Parsed::Run(config)) = parse(&["--bind", "127.0.0.1:0"], &env) else {
            panic!()
        };
        assert_eq!(config.bind.port(), 0);
    }

    #[test]
    fn help_and_mistakes() {
        assert_eq!(parse(&["--help"], &[]), Ok(Parsed::Help));
        assert!(parse(&["--bind"], &[]).is_err());
        assert!(parse(&["--bind", "nowhere"], &[]).is_err());
        assert!(parse(&["--frobnicate"], &[]).is_err());
        assert!(parse(&["--database-url", "mysql://x"], &[]).is_err());
    }
}
