//! Start-up configuration: flags (parsed by clap), then environment variables, then defaults.
//! The environment is read through a function rather than from the process, so tests give
//! their own.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The command line as clap reads it; environment variables fill in what it leaves out.
#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Switchboard — live-support chat server",
    long_about = "Switchboard — live-support chat server.\n\nEach option is also read from the \
                  environment variable in brackets; a flag wins over the environment."
)]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
    #[command(subcommand)]
    command: Option<Tool>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Address to listen on; port 0 picks a free port [SWITCHBOARD_BIND] (default 127.0.0.1:3000)
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Database: sqlite://PATH (created and migrated on first start), or
    /// postgres://USER@HOST/DB for several nodes on one database [SWITCHBOARD_DATABASE_URL]
    /// (default sqlite://switchboard.db)
    #[arg(long, value_name = "URL", global = true)]
    database_url: Option<String>,
    /// Serve the console and bubble assets from this folder instead of the copies built into
    /// the binary [SWITCHBOARD_SITE_ROOT]
    #[arg(long, value_name = "DIR")]
    site_root: Option<PathBuf>,
    /// Email of the admin created on first start [SWITCHBOARD_ADMIN_EMAIL]
    /// (default admin@switchboard.local)
    #[arg(long, value_name = "EMAIL")]
    admin_email: Option<String>,
    /// Comma-separated origins of sites that embed the bubble, e.g. https://www.example.com
    /// [SWITCHBOARD_ALLOWED_ORIGINS]
    #[arg(long, value_name = "LIST")]
    allowed_origins: Option<String>,
    /// The address operators and customer sites reach the server at, e.g.
    /// https://chat.example.com; requests naming another host are refused (loopback and IP
    /// addresses always work) [SWITCHBOARD_PUBLIC_URL]
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Mark session cookies Secure (named __Host-…) and send HSTS; use behind TLS
    /// [SWITCHBOARD_SECURE_COOKIES=1]
    #[arg(long)]
    secure_cookies: bool,
    /// Believe X-Forwarded-For and X-Forwarded-Proto from a reverse proxy in front
    /// [SWITCHBOARD_TRUST_PROXY=1]
    #[arg(long)]
    trust_proxy: bool,
    /// Serve the demo site with the chat bubble at /demo [SWITCHBOARD_DEMO=1]
    #[arg(long)]
    demo: bool,
    /// A visitor token unused this many days stops working, 1 to 3650
    /// [SWITCHBOARD_VISITOR_IDLE_DAYS] (default 30)
    #[arg(long, value_name = "N")]
    visitor_idle_days: Option<String>,
    /// A visitor with no page of the site open this many seconds leaves the Visitors list,
    /// 10 to 3600 [SWITCHBOARD_VISITOR_GONE_SECONDS] (default 60)
    #[arg(long, value_name = "N")]
    visitor_gone_seconds: Option<String>,
    /// Turn off the visitor API's rate limits, for load tests that play many visitors from one
    /// machine (failed logins stay limited)
    #[arg(long)]
    no_rate_limits: bool,
    /// Let visitors start a chat without a name [SWITCHBOARD_VISITOR_NAME_OPTIONAL=1]
    #[arg(long)]
    visitor_name_optional: bool,
    /// Log lines as text or as one JSON object each [SWITCHBOARD_LOG_FORMAT] (default text)
    #[arg(long, value_name = "text|json")]
    log_format: Option<String>,
    /// SMTP server mail is sent through (transcripts, test mail); no mail is sent without it
    /// [SWITCHBOARD_SMTP_HOST]
    #[arg(long, value_name = "HOST")]
    smtp_host: Option<String>,
    /// SMTP port [SWITCHBOARD_SMTP_PORT] (default 587 for starttls, 465 for tls, 25 for none)
    #[arg(long, value_name = "PORT")]
    smtp_port: Option<String>,
    /// How the SMTP connection is secured [SWITCHBOARD_SMTP_TLS] (default starttls)
    #[arg(long, value_name = "starttls|tls|none")]
    smtp_tls: Option<String>,
    /// SMTP login, if the server wants one [SWITCHBOARD_SMTP_USER]
    #[arg(long, value_name = "USER")]
    smtp_user: Option<String>,
    /// SMTP password; prefer the environment variable, which other users cannot list
    /// [SWITCHBOARD_SMTP_PASSWORD]
    #[arg(long, value_name = "PASSWORD")]
    smtp_password: Option<String>,
    /// Sender of mail, e.g. "Support <support@example.com>"; required with --smtp-host
    /// [SWITCHBOARD_SMTP_FROM]
    #[arg(long, value_name = "ADDRESS")]
    smtp_from: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Tool {
    /// Create an operator with the password "password" (changed at first login)
    AddOperator {
        /// Login email
        email: String,
        /// Display name
        name: String,
        /// operator, supervisor or admin
        #[arg(default_value = "operator")]
        role: String,
    },
    /// Create a personal access token for the operator API and print it (shown once)
    CreateToken {
        /// The operator's login email
        email: String,
        /// What the token is for
        #[arg(long, default_value = "Command line")]
        name: String,
    },
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// The server's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Listen address.
    pub bind: SocketAddr,
    /// Database URL.
    pub database_url: String,
    /// Where to serve the site from instead of the copy built in, if anywhere.
    pub site_root: Option<PathBuf>,
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
    /// Seconds without an open page before a visitor has left the site.
    pub visitor_gone_seconds: u32,
    /// No visitor API rate limits.
    pub no_rate_limits: bool,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// The SMTP server mail goes through, if any.
    pub mail: Option<engine::mail::MailConfig>,
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run with this configuration.
    Run(Box<Config>),
    /// Print this (the help or the version) and exit.
    Print(String),
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
    /// Create a personal access token and exit.
    CreateToken {
        /// Database URL.
        database_url: String,
        /// The operator's login email.
        email: String,
        /// The token's name.
        name: String,
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
        let cli = match Cli::try_parse_from(std::iter::once("switchboard".to_owned()).chain(args)) {
            Ok(cli) => cli,
            Err(err) => {
                return match err.kind() {
                    clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayVersion => {
                        Ok(Parsed::Print(err.render().to_string()))
                    }
                    _ => Err(err.render().to_string().trim_end().to_owned()),
                };
            }
        };
        let run = cli.run;
        let mail = mail_config(&run, &env)?;
        let database_url =
            database_url_or_default(run.database_url.or_else(|| env("SWITCHBOARD_DATABASE_URL")))?;
        match cli.command {
            Some(Tool::AddOperator { email, name, role }) => {
                let role = domain::console::Role::parse(&role)
                    .ok_or_else(|| format!("role {role:?}: use operator, supervisor or admin"))?;
                return Ok(Parsed::AddOperator {
                    database_url,
                    email,
                    name,
                    role,
                });
            }
            Some(Tool::CreateToken { email, name }) => {
                return Ok(Parsed::CreateToken {
                    database_url,
                    email,
                    name,
                });
            }
            None => {}
        }
        let flag = |set: bool, key: &str| set || env(key).is_some_and(|v| truthy(&v));
        let bind = run
            .bind
            .or_else(|| env("SWITCHBOARD_BIND"))
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let bind = bind
            .parse()
            .map_err(|_| format!("--bind: {bind:?} is not an address like 127.0.0.1:3000"))?;
        let public_url = run
            .public_url
            .or_else(|| env("SWITCHBOARD_PUBLIC_URL"))
            .filter(|url| !url.trim().is_empty())
            .map(|url| crate::PublicUrl::parse(&url))
            .transpose()?;
        let visitor_idle_days = match run
            .visitor_idle_days
            .or_else(|| env("SWITCHBOARD_VISITOR_IDLE_DAYS"))
        {
            None => 30,
            Some(days) => days
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| format!("--visitor-idle-days: {days:?} is not 1 to 3650"))?,
        };
        let visitor_gone_seconds = match run
            .visitor_gone_seconds
            .or_else(|| env("SWITCHBOARD_VISITOR_GONE_SECONDS"))
        {
            None => 60,
            Some(seconds) => seconds
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|s| (10..=3600).contains(s))
                .ok_or_else(|| format!("--visitor-gone-seconds: {seconds:?} is not 10 to 3600"))?,
        };
        let log_format = match run
            .log_format
            .or_else(|| env("SWITCHBOARD_LOG_FORMAT"))
            .as_deref()
            .map(str::trim)
        {
            None | Some("" | "text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(format!("--log-format: {other:?} is not text or json")),
        };
        let site_root = run
            .site_root
            .or_else(|| env("SWITCHBOARD_SITE_ROOT").map(PathBuf::from))
            .or_else(|| env("LEPTOS_SITE_ROOT").map(PathBuf::from))
            .filter(|dir| !dir.as_os_str().is_empty());
        Ok(Parsed::Run(Box::new(Config {
            public_url,
            trust_proxy: flag(run.trust_proxy, "SWITCHBOARD_TRUST_PROXY"),
            demo: flag(run.demo, "SWITCHBOARD_DEMO"),
            visitor_idle_days,
            visitor_gone_seconds,
            no_rate_limits: run.no_rate_limits,
            bind,
            database_url,
            site_root,
            admin_email: run
                .admin_email
                .or_else(|| env("SWITCHBOARD_ADMIN_EMAIL"))
                .unwrap_or_else(|| "admin@switchboard.local".to_owned()),
            allowed_origins: run
                .allowed_origins
                .or_else(|| env("SWITCHBOARD_ALLOWED_ORIGINS"))
                .unwrap_or_default()
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            secure_cookies: flag(run.secure_cookies, "SWITCHBOARD_SECURE_COOKIES"),
            visitor_name_required: !flag(
                run.visitor_name_optional,
                "SWITCHBOARD_VISITOR_NAME_OPTIONAL",
            ),
            log_format,
            mail,
        })))
    }
}

/// The SMTP settings from flags and the environment: `None` without a host.
fn mail_config(
    run: &RunArgs,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<engine::mail::MailConfig>, String> {
    let read = |flag: &Option<String>, key: &str| {
        flag.clone()
            .or_else(|| env(key))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let Some(host) = read(&run.smtp_host, "SWITCHBOARD_SMTP_HOST") else {
        return Ok(None);
    };
    let tls = match read(&run.smtp_tls, "SWITCHBOARD_SMTP_TLS") {
        None => domain::mail::SmtpTls::default(),
        Some(raw) => domain::mail::SmtpTls::parse(&raw)
            .ok_or_else(|| format!("--smtp-tls: {raw:?} is not starttls, tls or none"))?,
    };
    let port = match read(&run.smtp_port, "SWITCHBOARD_SMTP_PORT") {
        None => tls.default_port(),
        Some(raw) => raw
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("--smtp-port: {raw:?} is not a port"))?,
    };
    let from = read(&run.smtp_from, "SWITCHBOARD_SMTP_FROM")
        .ok_or("--smtp-from is required with --smtp-host: the address mail is sent from")?;
    let config = engine::mail::MailConfig {
        host,
        port,
        tls,
        username: read(&run.smtp_user, "SWITCHBOARD_SMTP_USER"),
        password: run
            .smtp_password
            .clone()
            .or_else(|| env("SWITCHBOARD_SMTP_PASSWORD")),
        from,
    };
    config.validate()?;
    Ok(Some(config))
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
        let Ok(Parsed::Print(help)) = parse(&["--help"], &[]) else {
            panic!()
        };
        assert!(
            help.contains("--log-format") && help.contains("create-token"),
            "{help}"
        );
        let Ok(Parsed::Print(version)) = parse(&["--version"], &[]) else {
            panic!()
        };
        assert_eq!(
            version.trim(),
            format!("switchboard {}", env!("CARGO_PKG_VERSION"))
        );
        assert!(parse(&["--log-format", "xml"], &[]).is_err());
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

    #[test]
    fn logs_and_site_and_tokens() {
        let Ok(Parsed::Run(config)) = parse(&[], &[]) else {
            panic!()
        };
        assert_eq!(
            (config.log_format, config.site_root),
            (LogFormat::Text, None)
        );
        let Ok(Parsed::Run(config)) = parse(
            &["--site-root", "/srv/site"],
            &[("SWITCHBOARD_LOG_FORMAT", "json")],
        ) else {
            panic!()
        };
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.site_root, Some(PathBuf::from("/srv/site")));
        assert_eq!(
            parse(&["create-token", "a@b.c", "--name", "CRM"], &[]),
            Ok(Parsed::CreateToken {
                database_url: "sqlite://switchboard.db".into(),
                email: "a@b.c".into(),
                name: "CRM".into(),
            })
        );
        assert!(parse(&["create-token"], &[]).is_err());
    }

    #[test]
    fn smtp_settings_come_from_flags_or_the_environment_and_hide_the_password() {
        let Ok(Parsed::Run(config)) = parse(&[], &[]) else {
            panic!()
        };
        assert_eq!(config.mail, None, "no host, no mail");

        let env = [
            ("SWITCHBOARD_SMTP_HOST", "mail.example.com"),
            ("SWITCHBOARD_SMTP_FROM", "Support <support@example.com>"),
            ("SWITCHBOARD_SMTP_USER", "switchboard"),
            ("SWITCHBOARD_SMTP_PASSWORD", "s3cret-pw"),
        ];
        let Ok(Parsed::Run(config)) = parse(&[], &env) else {
            panic!()
        };
        let mail = config.mail.clone().unwrap_or_else(|| panic!("mail"));
        assert_eq!(
            (mail.host.as_str(), mail.port, mail.tls),
            ("mail.example.com", 587, domain::mail::SmtpTls::Starttls)
        );
        assert_eq!(mail.username.as_deref(), Some("switchboard"));
        assert_eq!(mail.password.as_deref(), Some("s3cret-pw"));
        assert!(!format!("{config:?}").contains("s3cret-pw"));

        let Ok(Parsed::Run(config)) = parse(&["--smtp-tls", "tls", "--smtp-port", "2465"], &env)
        else {
            panic!()
        };
        let mail = config.mail.clone().unwrap_or_else(|| panic!("mail"));
        assert_eq!((mail.port, mail.tls), (2465, domain::mail::SmtpTls::Tls));

        for (args, why) in [
            (&["--smtp-host", "mail.example.com"][..], "--smtp-from"),
            (
                &[
                    "--smtp-host",
                    "h",
                    "--smtp-from",
                    "a@b.c",
                    "--smtp-tls",
                    "ssl",
                ][..],
                "--smtp-tls",
            ),
            (
                &[
                    "--smtp-host",
                    "h",
                    "--smtp-from",
                    "a@b.c",
                    "--smtp-port",
                    "0",
                ][..],
                "--smtp-port",
            ),
            (
                &["--smtp-host", "h", "--smtp-from", "not an address"][..],
                "--smtp-from",
            ),
        ] {
            let err = parse(args, &[]).err().unwrap_or_default();
            assert!(err.contains(why), "{args:?}: {err}");
        }
    }
}
