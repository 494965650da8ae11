//! The front door every request passes first: the `Host` it names must be this server's
//! (`--public-url`, or a loopback or IP address), which keeps DNS rebinding from turning a
//! browser on the operator's machine against a server on 127.0.0.1; then who is asking
//! (the client address) and which origin they asked (`scheme://host`) are settled once, for
//! the limits, the action log, and the same-origin and CORS checks. A proxy's
//! `X-Forwarded-For` and `X-Forwarded-Proto` count only with `--trust-proxy`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::HOST;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::ErrorCode;

use crate::{ApiError, AppState, ClientAddress, RequestOrigin};

/// The address the server is reached at from outside (`--public-url`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// The host name, lowercase, without the port.
    pub host: String,
    /// `host[:port]` as browsers send it in `Host` and `Origin`.
    pub authority: String,
}

impl PublicUrl {
    /// Reads `http(s)://host[:port][/]`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = || format!("--public-url: {url:?} is not like https://chat.example.com");
        let (scheme, rest) = url.trim().split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad());
        }
        let authority = rest.trim_end_matches('/').to_ascii_lowercase();
        if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
            return Err(bad());
        }
        let host = host_name(&authority).to_owned();
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            scheme,
            host,
            authority,
        })
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

/// The host part of `host[:port]` (IPv6 literals keep their brackets).
fn host_name(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

/// Whether a `Host` header names this server: its public host, `localhost`, or an IP address.
pub fn host_allowed(public: Option<&PublicUrl>, host: &str) -> bool {
    let name = host_name(host);
    if name.is_empty() {
        return false;
    }
    public.is_some_and(|p| p.host == name)
        || name == "localhost"
        || name.parse::<IpAddr>().is_ok()
        || (name.starts_with('[')
            && name.ends_with(']')
            && name[1..name.len() - 1].parse::<IpAddr>().is_ok())
}

/// The last address in `X-Forwarded-For`: the one the trusted proxy itself saw (earlier ones
/// are the client's word).
fn forwarded_for(request: &Request) -> Option<IpAddr> {
    let header = request.headers().get_all("x-forwarded-for");
    let last = header.iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// Refuses unknown hosts, then records the client address and the origin asked for.
pub async fn front_door(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let settings = &state.settings;
    let host = request
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !host_allowed(settings.public_url.as_ref(), &host) {
        return ApiError::new(
            ErrorCode::UnknownHost,
            "This server does not answer for that host name.",
        )
        .into_response();
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let client = match settings.trust_proxy {
        true => forwarded_for(&request).or(peer),
        false => peer,
    };
    let forwarded_https = settings.trust_proxy
        && request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let scheme = match &settings.public_url {
        Some(public) if public.authority == host || public.host == host => public.scheme.as_str(),
        _ if forwarded_https => "https",
        _ => "http",
    };
    let origin = format!("{scheme}://{host}");
    let extensions = request.extensions_mut();
    if let Some(client) = client {
        extensions.insert(ClientAddress(client));
    }
    extensions.insert(RequestOrigin(origin));
    next.run(request).await
}

/// The origin a request was made to, as the front door settled it.
pub fn request_origin(request: &Request) -> Option<&str> {
    request
        .extensions()
        .get::<RequestOrigin>()
        .map(|origin| origin.0.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_read_strictly() {
        let url = PublicUrl::parse("https://Chat.Example.com/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(url.origin(), "https://chat.example.com");
        assert_eq!(url.host, "chat.example.com");
        let port =
            PublicUrl::parse("http://chat.example.com:8080").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (port.host.as_str(), port.authority.as_str()),
            ("chat.example.com", "chat.example.com:8080")
        );
        for bad in [
            "chat.example.com",
            "ftp://x",
            "https://",
            "https://a/b",
            "https://u@h",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_this_servers_names_are_answered() {
        let public = PublicUrl::parse("https://chat.example.com").ok();
        for host in [
            "chat.example.com",
            "127.0.0.1:3000",
            "localhost:3000",
            "[::1]:3000",
            "10.1.2.3",
        ] {
            assert!(host_allowed(public.as_ref(), host), "{host}");
        }
        for host in [
            "evil.example:3000",
            "",
            "chat.example.com.evil.example",
            "[nope]",
        ] {
            assert!(!host_allowed(public.as_ref(), host), "{host}");
        }
        assert!(!host_allowed(None, "chat.example.com"));
    }
}
