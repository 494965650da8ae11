//! The site's static files (the console bundle, the bubble and their styles): built into the
//! binary by `cargo xtask build`, or read from `--site-root` at start. Either way they are held
//! in memory with their precompressed brotli and gzip twins, and served two ways:
//!
//! - under a content-hashed folder, `/pkg/<version>/…` and `/widget/<version>/…`, with
//!   `Cache-Control: immutable` for a year: the console page and the bubble's loader ask for
//!   these, so a browser fetches each build once and never revalidates it;
//! - under the plain name (`/widget/loader.js`, the one address customer sites embed) with
//!   `no-cache` and an `ETag`, so a new build reaches them at the next page view.
//!
//! A folder's version is a hash of its files' contents: it changes exactly when they do.

use std::collections::HashMap;
use std::path::Path;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_site.rs"));
}

/// Hex digits of a folder's version in its URLs.
const VERSION_CHARS: usize = 16;
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One file, as stored and in its precompressed forms.
#[derive(Debug)]
struct Asset {
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    content_type: &'static str,
    etag: HeaderValue,
}

/// The site's files by path (`pkg/switchboard.js`), and each top folder's version.
#[derive(Debug, Default)]
pub struct Site {
    files: HashMap<String, Asset>,
    versions: HashMap<String, String>,
}

impl Site {
    /// The site built into the binary, if it was.
    pub fn embedded() -> Option<Self> {
        if embedded::FILES.is_empty() {
            return None;
        }
        Some(Self::from_files(embedded::FILES.iter().map(
            |(name, bytes)| ((*name).to_owned(), Bytes::from_static(bytes)),
        )))
    }

    /// The site in a folder (its `pkg/` and `widget/`); missing folders are simply empty.
    pub fn from_dir(root: &Path) -> std::io::Result<Self> {
        let mut files = Vec::new();
        for dir in ["pkg", "widget"] {
            read_dir(root, &root.join(dir), &mut files)?;
        }
        Ok(Self::from_files(files))
    }

    fn from_files(files: impl IntoIterator<Item = (String, Bytes)>) -> Self {
        let mut plain: HashMap<String, Bytes> = HashMap::new();
        let mut brotli = HashMap::new();
        let mut gzip = HashMap::new();
        for (name, bytes) in files {
            if let Some(base) = name.strip_suffix(".br") {
                brotli.insert(base.to_owned(), bytes);
            } else if let Some(base) = name.strip_suffix(".gz") {
                gzip.insert(base.to_owned(), bytes);
            } else {
                plain.insert(name, bytes);
            }
        }
        let mut names: Vec<&String> = plain.keys().collect();
        names.sort();
        let mut folders: HashMap<String, Sha256> = HashMap::new();
        for name in names {
            let folder = name.split('/').next().unwrap_or_default().to_owned();
            let hash = folders.entry(folder).or_default();
            hash.update(name.as_bytes());
            hash.update([0]);
            hash.update(&plain[name]);
        }
        let versions = folders
            .into_iter()
            .map(|(folder, hash)| (folder, hex(&hash.finalize())[..VERSION_CHARS].to_owned()))
            .collect();
        let files = plain
            .into_iter()
            .map(|(name, identity)| {
                let etag = format!("\"{}\"", &hex(&Sha256::digest(&identity))[..VERSION_CHARS]);
                let asset = Asset {
                    brotli: brotli.remove(&name),
                    gzip: gzip.remove(&name),
                    content_type: content_type(&name),
                    etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
                    identity,
                };
                (name, asset)
            })
            .collect();
        Self { files, versions }
    }

    /// The version of a top folder (`pkg`, `widget`), if it has files.
    pub fn version(&self, folder: &str) -> Option<&str> {
        self.versions.get(folder).map(String::as_str)
    }

    /// Whether the site has no files at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The response for `path` under `folder`: the hashed form (`<version>/name`) cached for
    /// good, the plain one revalidated; `None` when there is no such file (or the version is
    /// not this build's).
    fn respond(&self, folder: &str, path: &str, request: &HeaderMap) -> Option<Response> {
        let (name, immutable) = match path.split_once('/') {
            Some((version, rest)) if Some(version) == self.version(folder) => (rest, true),
            _ => (path, false),
        };
        let asset = self.files.get(&format!("{folder}/{name}"))?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        headers.insert(ETAG, asset.etag.clone());
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static(if immutable { IMMUTABLE } else { "no-cache" }),
        );
        let fresh = request
            .get(IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag));
        if fresh {
            return Some((StatusCode::NOT_MODIFIED, headers).into_response());
        }
        let accepts = |coding: &str| {
            request
                .get_all(ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|item| {
                    let mut parts = item.split(';');
                    parts.next().is_some_and(|c| c.trim() == coding)
                        && !parts.any(|p| p.trim().replace(' ', "") == "q=0")
                })
        };
        let body = match (&asset.brotli, &asset.gzip) {
            (Some(br), _) if accepts("br") => {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
                br.clone()
            }
            (_, Some(gz)) if accepts("gzip") => {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gz.clone()
            }
            _ => asset.identity.clone(),
        };
        Some((StatusCode::OK, headers, Body::from(body)).into_response())
    }
}

fn read_dir(root: &Path, dir: &Path, files: &mut Vec<(String, Bytes)>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            read_dir(root, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, Bytes::from(std::fs::read(&path)?)));
        }
    }
    Ok(())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /pkg/{*path}`: the console's bundle.
pub async fn console_file(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state, "pkg", &path, &headers).await
}

/// `GET /widget/{*path}`: the bubble, which customer sites load cross-origin.
pub async fn bubble_file(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let mut response = serve(&state, "widget", &path, &headers).await;
    response.headers_mut().insert(
        axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn serve(state: &AppState, folder: &str, path: &str, headers: &HeaderMap) -> Response {
    match state.site.respond(folder, path, headers) {
        Some(response) => response,
        None => crate::pages::not_found().await.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site::from_files([
            (
                "pkg/app.js".to_owned(),
                Bytes::from_static(b"console.log(1)"),
            ),
            ("pkg/app.js.br".to_owned(), Bytes::from_static(b"BR")),
            ("pkg/app.js.gz".to_owned(), Bytes::from_static(b"GZ")),
            ("widget/loader.js".to_owned(), Bytes::from_static(b"loader")),
        ])
    }

    fn accept(encoding: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(encoding) {
            headers.insert(ACCEPT_ENCODING, value);
        }
        headers
    }

    #[test]
    fn versions_follow_the_contents() {
        let a = site();
        let b = Site::from_files([(
            "pkg/app.js".to_owned(),
            Bytes::from_static(b"console.log(2)"),
        )]);
        let version = a.version("pkg").unwrap_or_default();
        assert_eq!(version.len(), VERSION_CHARS);
        assert_ne!(Some(version), b.version("pkg"));
        assert_ne!(a.version("pkg"), a.version("widget"));
        assert_eq!(site().version("pkg"), a.version("pkg"));
    }

    #[test]
    fn hashed_paths_are_immutable_and_plain_ones_revalidate() {
        let site = site();
        let version = site.version("pkg").unwrap_or_default().to_owned();
        let hashed = site
            .respond("pkg", &format!("{version}/app.js"), &accept("gzip, br"))
            .unwrap();
        assert_eq!(hashed.headers()[CACHE_CONTROL], IMMUTABLE);
        assert_eq!(hashed.headers()[CONTENT_ENCODING], "br");
        let plain = site.respond("pkg", "app.js", &accept("gzip")).unwrap();
        assert_eq!(plain.headers()[CACHE_CONTROL], "no-cache");
        assert_eq!(plain.headers()[CONTENT_ENCODING], "gzip");
        let identity = site.respond("pkg", "app.js", &accept("br;q=0")).unwrap();
        assert!(identity.headers().get(CONTENT_ENCODING).is_none());
        let mut again = HeaderMap::new();
        again.insert(IF_NONE_MATCH, plain.headers()[ETAG].clone());
        let revalidated = site.respond("pkg", "app.js", &again).unwrap();
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        // Another build's version, or no such file: nothing.
        assert!(
            site.respond("pkg", "0123456789abcdef/app.js", &HeaderMap::new())
                .is_none()
        );
        assert!(site.respond("pkg", "nope.js", &HeaderMap::new()).is_none());
        assert!(
            site.respond("widget", "app.js", &HeaderMap::new())
                .is_none()
        );
    }
}
