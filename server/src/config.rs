//! Start-up configuration from flags, then environment variables, then defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What `switchboard --help` prints.
pub const USAGE: &str = "\
Switchboard — live-support chat server

Usage: switchboard [OPTIONS]
       switchboard add-operator EMAIL NAME [operator|supervisor|admin] [--database-url URL]
                   creates an operator with the password \"password\" (changed at first login)

Options (each also read from the environment variable in brackets):
  --bind ADDR              Address to listen on [SWITCHBOARD_BIND] (default 127.0.0.1:3000;
                           port 0 picks a free port)
  --database-url URL       Database [SWITCHBOARD_DATABASE_URL] (default sqlite://switchboard.db;
                           the file is created and migrated on first start;
                           postgres://USER@HOST/DB for several nodes on one database)
  --site-root DIR          Built console and bubble assets [LEPTOS_SITE_ROOT] (default target/site)
  --admin-email EMAIL      Email of the admin created on first start [SWITCHBOARD_ADMIN_EMAIL]
                           (default admin@switchboard.local)
  --allowed-origins LIST   Comma-separated origins of sites that embed the bubble, e.g.
                           https://www.example.com [SWITCHBOARD_ALLOWED_ORIGINS]
  --public-url URL         The address operators and customer sites reach the server at, e.g.
                           https://chat.example.com [SWITCHBOARD_PUBLIC_URL]; requests naming
                           another host are refused (loopback and IP addresses always work)
  --secure-cookies         Mark session cookies Secure (named __Host-…) and send HSTS; use behind
                           TLS [SWITCHBOARD_SECURE_COOKIES=1]
  --trust-proxy            Believe X-Forwarded-For and X-Forwarded-Proto from a reverse proxy in
                           front [SWITCHBOARD_TRUST_PROXY=1]
  --demo                   Serve the demo site with the chat bubble at /demo [SWITCHBOARD_DEMO=1]
  --visitor-idle-days N    A visitor token unused this long stops working (default 30)
                           [SWITCHBOARD_VISITOR_IDLE_DAYS]
  --no-rate-limits         Turn off the visitor API's rate limits, for load tests that play many
                           visitors from one machine (failed logins stay limited)
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
    /// The public address.
    pub public_url: Option<crate::PublicUrl>,
    /// Believe the reverse proxy's forwarded headers.
    pub trust_proxy: bool,
    /// Serve the demo site.
    pub demo: bool,
    /// Days a visitor token may go unused.
    pub visitor_idle_days: u32,
    /// No visitor API rate limits.
    pub no_rate_limits: bool,
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run with this configuration.
    Run(Config),
    /// Print the usage.
    Help,
    /// Create an operator account and exit.
    AddOperator {
        /// Database URL.
        database_url: String,
        /// Login email.
        email: String,
        /// Name.
        name: String,
        /// Role.
        role: domain::console::Role,
    },
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
        let mut public_url = env("SWITCHBOARD_PUBLIC_URL");
        let mut trust_proxy = env("SWITCHBOARD_TRUST_PROXY").is_some_and(|v| truthy(&v));
        let mut demo = env("SWITCHBOARD_DEMO").is_some_and(|v| truthy(&v));
        let mut idle_days = env("SWITCHBOARD_VISITOR_IDLE_DAYS");
        let mut no_rate_limits = false;

        let mut args = args.into_iter().peekable();
        if args.peek().map(String::as_str) == Some("add-operator") {
            args.next();
            return Self::parse_add_operator(args, env("SWITCHBOARD_DATABASE_URL"));
        }
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
                "--public-url" => public_url = Some(value("--public-url")?),
                "--trust-proxy" => trust_proxy = true,
                "--demo" => demo = true,
                "--visitor-idle-days" => idle_days = Some(value("--visitor-idle-days")?),
                "--no-rate-limits" => no_rate_limits = true,
                other => return Err(format!("unknown option {other:?} (see --help)")),
            }
        }
        let bind = bind.unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let bind = bind
            .parse()
            .map_err(|_| format!("--bind: {bind:?} is not an address like 127.0.0.1:3000"))?;
        let database_url = database_url_or_default(database_url)?;
        let public_url = public_url
            .filter(|url| !url.trim().is_empty())
            .map(|url| crate::PublicUrl::parse(&url))
            .transpose()?;
        let visitor_idle_days = match idle_days {
            None => 30,
            Some(days) => days
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| format!("--visitor-idle-days: {days:?} is not 1 to 3650"))?,
        };
        Ok(Parsed::Run(Config {
            public_url,
            trust_proxy,
            demo,
            visitor_idle_days,
            no_rate_limits,
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

impl Config {
    fn parse_add_operator(
        args: impl Iterator<Item = String>,
        database_url: Option<String>,
    ) -> Result<Parsed, String> {
        let mut database_url = database_url;
        let mut positional = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.split_once('=') {
                Some(("--database-url", value)) => database_url = Some(value.to_owned()),
                _ if arg == "--database-url" => {
                    database_url = Some(args.next().ok_or("--database-url needs a value")?);
                }
                _ if arg.starts_with("--") => {
                    return Err(format!("unknown option {arg:?} (see --help)"));
                }
                _ => positional.push(arg),
            }
        }
        let (email, name, role) = match positional.as_slice() {
            [email, name] => (email, name, "operator"),
            [email, name, role] => (email, name, role.as_str()),
            _ => return Err("add-operator needs EMAIL and NAME (see --help)".to_owned()),
        };
        let role = domain::console::Role::parse(role)
            .ok_or_else(|| format!("role {role:?}: use operator, supervisor or admin"))?;
        Ok(Parsed::AddOperator {
            database_url: database_url_or_default(database_url)?,
            email: email.clone(),
            name: name.clone(),
            role,
        })
    }
}

fn database_url_or_default(database_url: Option<String>) -> Result<String, String> {
    let database_url = database_url.unwrap_or_else(|| "sqlite://switchboard.db".to_owned());
    if engine::store::Database::supports(&database_url) {
        Ok(database_url)
    } else {
        Err(format!(
            "--database-url: {database_url:?} is not supported; use sqlite://PATH or \
             postgres://USER@HOST/DATABASE"
        ))
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
    fn add_operator_takes_email_name_and_an_optional_role() {
        assert_eq!(
            parse(
                &[
                    "add-operator",
                    "bob@example.com",
                    "Bob",
                    "supervisor",
                    "--database-url",
                    "sqlite://t.db"
                ],
                &[],
            ),
            Ok(Parsed::AddOperator {
                database_url: "sqlite://t.db".into(),
                email: "bob@example.com".into(),
                name: "Bob".into(),
                role: domain::console::Role::Supervisor,
            })
        );
        let Ok(Parsed::AddOperator {
            role, database_url, ..
        }) = parse(
            &["add-operator", "a@b.c", "A"],
            &[("SWITCHBOARD_DATABASE_URL", "sqlite://e.db")],
        )
        else {
            panic!()
        };
        assert_eq!(role, domain::console::Role::Operator);
        assert_eq!(database_url, "sqlite://e.db");
        assert!(parse(&["add-operator", "a@b.c"], &[]).is_err());
        assert!(parse(&["add-operator", "a@b.c", "A", "boss"], &[]).is_err());
        assert!(parse(&["add-operator", "a@b.c", "A", "--nope"], &[]).is_err());
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
        assert!(parse(&["--database-url", "postgres://sb@db/switchboard"], &[]).is_ok());
        assert!(parse(&["--public-url", "chat.example.com"], &[]).is_err());
        assert!(parse(&["--visitor-idle-days", "0"], &[]).is_err());
    }

    #[test]
    fn hosts_proxies_and_the_demo_are_opt_in() {
        let Ok(Parsed::Run(config)) = parse(&[], &[]) else {
            panic!()
        };
        assert_eq!(config.public_url, None);
        assert!(!config.trust_proxy && !config.demo && !config.no_rate_limits);
        assert_eq!(config.visitor_idle_days, 30);
        let Ok(Parsed::Run(config)) = parse(
            &[
                "--public-url=https://chat.example.com/",
                "--trust-proxy",
                "--demo",
                "--visitor-idle-days",
                "7",
            ],
            &[],
        ) else {
            panic!()
        };
        assert_eq!(
            config.public_url.map(|u| u.origin()).as_deref(),
            Some("https://chat.example.com")
        );
        assert!(config.trust_proxy && config.demo);
        assert_eq!(config.visitor_idle_days, 7);
        let Ok(Parsed::Run(config)) = parse(&[], &[("SWITCHBOARD_DEMO", "1")]) else {
            panic!()
        };
        assert!(config.demo);
    }
}
