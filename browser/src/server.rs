//! The loopback servers. Every listener speaks TLS (a self-signed certificate made at start) and plain
//! HTTP on one port, told apart by the first byte: one listener that every mapped name reaches, one
//! more per address space other than loopback that a page claims, and one on each exact loopback port
//! that a `localhost`, `127.0.0.1` or `[::1]` page needs. Requests are routed by `Host`: the API's
//! names go to the scenario's [`ScenarioApi`] (recorded first, outside the CORS layer); any other host
//! is a page origin, served its page, its call marks and its report.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

use crate::api::{ScenarioApi, API2_HOST, API_HOST};

/// What the recording service saw, per scenario, in order.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// The page is about to make call `n`.
    Mark {
        /// The call's index.
        n: usize,
    },
    /// A request reached the API.
    Request(Recorded),
}

/// One request that reached the API.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// `Origin`, if sent.
    pub origin: Option<String>,
    /// `Access-Control-Request-Method`, if sent.
    pub acrm: Option<String>,
    /// `Access-Control-Request-Headers`, if sent (lines joined with `,`).
    pub acrh: Option<String>,
    /// Every header sent: lowercase name and value, in order.
    pub headers: Vec<(String, String)>,
}

impl Recorded {
    /// Whether this is a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`).
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.acrm.is_some()
    }
}

/// The state the listeners share.
#[derive(Default)]
pub struct State {
    /// The scenarios' APIs by id.
    pub apis: HashMap<String, ScenarioApi>,
    /// The pages' HTML by origin.
    pub pages: HashMap<String, String>,
    /// What the API saw, by scenario id.
    pub log: Mutex<HashMap<String, Vec<Event>>>,
    /// The pages' reports (JSON text), by origin.
    pub reports: Mutex<HashMap<String, String>>,
    /// Woken on each report.
    pub reported: Notify,
}

/// A TLS acceptor with a fresh self-signed certificate covering `names` (DNS names, wildcards
/// such as `*.example.com`, and IP addresses).
pub fn tls_acceptor(names: &[String]) -> Result<TlsAcceptor, String> {
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    for name in names {
        let san = match name.parse::<IpAddr>() {
            Ok(ip) => rcgen::SanType::IpAddress(ip),
            Err(_) => rcgen::SanType::DnsName(
                name.clone()
                    .try_into()
                    .map_err(|e| format!("certificate name {name:?}: {e}"))?,
            ),
        };
        params.subject_alt_names.push(san);
    }
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Binds a listener that speaks both TLS (with `tls`) and plain HTTP, told apart by the first byte a
/// client sends (a TLS handshake record starts with 0x16); spawns its accept loop.
pub async fn listen(addr: SocketAddr, tls: TlsAcceptor, state: Arc<State>) -> Result<u16, String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let mut first = [0u8; 1];
                let Ok(Ok(_)) =
                    tokio::time::timeout(Duration::from_secs(10), stream.peek(&mut first)).await
                else {
                    return;
                };
                let builder = hyper::server::conn::http1::Builder::new();
                if first[0] == 0x16 {
                    let service = service_fn(move |req| handle(state.clone(), "https", req));
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(Duration::from_secs(10), tls.accept(stream)).await
                    else {
                        return;
                    };
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                } else {
                    let service = service_fn(move |req| handle(state.clone(), "http", req));
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            });
        }
    });
    Ok(port)
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.join(","))
    }
}

async fn handle(
    state: Arc<State>,
    scheme: &'static str,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let host = header(req.headers(), "host").unwrap_or_default();
    let bare = host.rsplit_once(':').map_or(host.as_str(), |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) && !h.is_empty() {
            h
        } else {
            host.as_str()
        }
    });
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, 1 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(text(StatusCode::PAYLOAD_TOO_LARGE, "too large")),
    };
    if bare == API_HOST || bare == API2_HOST {
        return Ok(api(&state, parts).await);
    }
    let origin = format!("{scheme}://{host}");
    let path = parts.uri.path().to_string();
    if path == "/page" {
        return Ok(match state.pages.get(&origin) {
            Some(html) => {
                let mut r = text(StatusCode::OK, html);
                r.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("text/html; charset=utf-8"),
                );
                r.headers_mut().insert(
                    http::header::CACHE_CONTROL,
                    http::HeaderValue::from_static("no-store"),
                );
                r
            }
            None => text(StatusCode::NOT_FOUND, "no page for this origin"),
        });
    }
    if let Some(rest) = path.strip_prefix("/mark/") {
        if let Some((id, n)) = rest.split_once('/') {
            if let (true, Ok(n)) = (state.apis.contains_key(id), n.parse::<usize>()) {
                let mut log = state.log.lock().unwrap_or_else(|e| e.into_inner());
                log.entry(id.to_string())
                    .or_default()
                    .push(Event::Mark { n });
                return Ok(text(StatusCode::NO_CONTENT, ""));
            }
        }
        return Ok(text(StatusCode::NOT_FOUND, "unknown scenario"));
    }
    if path == "/report" && parts.method == http::Method::POST {
        let report = String::from_utf8_lossy(&body).into_owned();
        state
            .reports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(origin, report);
        state.reported.notify_waiters();
        return Ok(text(StatusCode::NO_CONTENT, ""));
    }
    Ok(text(StatusCode::NOT_FOUND, "not found"))
}

/// The recording service, outside the scenario's CORS layer.
async fn api(state: &State, parts: http::request::Parts) -> Response<Full<Bytes>> {
    let path = parts.uri.path().to_string();
    let id = path
        .strip_prefix("/s/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_string();
    let Some(api) = state.apis.get(&id) else {
        return text(StatusCode::NOT_FOUND, "unknown scenario");
    };
    let recorded = Recorded {
        method: parts.method.as_str().to_string(),
        path: path.clone(),
        origin: header(&parts.headers, "origin"),
        acrm: header(&parts.headers, "access-control-request-method"),
        acrh: header(&parts.headers, "access-control-request-headers"),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    state
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(id)
        .or_default()
        .push(Event::Request(recorded));
    let request = Request::from_parts(parts, ());
    api.answer(request).await
}
