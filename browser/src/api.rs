//! The API under test: per scenario, the corsmatch [`CorsLayer`] built from the scenario's policy
//! around a small handler, with the scenario's server overrides applied outside the layer. The same
//! code answers the real server's requests and the browser model's ([`answer_now`]), so that the
//! prediction and the observation share one server.

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use corsmatch::policy::PolicyErrors;
use corsmatch::tower::CorsLayer;
use corsmatch_conformance::cases::ServerOverrides;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use tower_layer::Layer;
use tower_service::Service;

/// The API's origin, as pages fetch it.
pub const API_HOST: &str = "api.corsmatch.test";
/// A second name of the same API, for cross-origin redirects.
pub const API2_HOST: &str = "api2.corsmatch.test";

/// The headers of the handler's 200 answer (besides `content-length`, and the `date` the HTTP server
/// adds): some safelisted, some that policies expose, some that none does.
pub const APP_HEADERS: &[(&str, &str)] = &[
    ("content-type", "text/plain"),
    ("cache-control", "no-store"),
    ("x-exposed", "1"),
    ("x-hidden", "1"),
    ("x-request-id", "r-1"),
    ("x-total-count", "3"),
    ("x-ratelimit-remaining", "9"),
    ("x-a", "a"),
    ("etag", "\"e1\""),
];

/// The handler's body.
const BODY: &[u8] = b"ok";

/// One scenario's API: its CORS layer and its overrides.
#[derive(Clone, Debug)]
pub struct ScenarioApi {
    /// The scenario's id (its URL path segment).
    pub id: String,
    layer: CorsLayer,
    overrides: ServerOverrides,
}

impl ScenarioApi {
    /// The API of scenario `id` deciding with `policy`.
    pub fn new(
        id: &str,
        policy: &corsmatch::policy::PolicyConfig,
        overrides: &ServerOverrides,
    ) -> Result<ScenarioApi, PolicyErrors> {
        Ok(ScenarioApi {
            id: id.to_string(),
            layer: CorsLayer::from_config(policy)?,
            overrides: overrides.clone(),
        })
    }

    /// The path every call of the scenario fetches.
    pub fn path(&self) -> String {
        format!("/s/{}/x", self.id)
    }

    /// The path a redirect points at (on the same origin unless `redirect_to` says otherwise).
    pub fn target_path(&self) -> String {
        format!("/s/{}/target", self.id)
    }

    /// Answers `request` (any body already read) as the API does.
    pub async fn answer(&self, request: Request<()>) -> Response<Full<Bytes>> {
        let is_preflight = request.method() == http::Method::OPTIONS
            && request
                .headers()
                .contains_key("access-control-request-method");
        let redirect = match self.overrides.redirect {
            Some(status) if request.uri().path() == self.path() => {
                let to = match &self.overrides.redirect_to {
                    Some(to) => to.replace("{id}", &self.id),
                    None => format!("https://{API_HOST}{}", self.target_path()),
                };
                Some((status, to))
            }
            _ => None,
        };
        let mut service = self.layer.layer(Handler { redirect });
        let mut response = match service.call(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        if is_preflight {
            if let Some(status) = self.overrides.preflight_status {
                *response.status_mut() =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            }
        }
        response
    }
}

/// Runs [`ScenarioApi::answer`] to completion without a runtime: the handler is ready at once, so
/// the future never waits.
pub fn answer_now(api: &ScenarioApi, request: Request<()>) -> Response<Full<Bytes>> {
    let mut future = pin!(api.answer(request));
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..16 {
        if let Poll::Ready(response) = future.as_mut().poll(&mut cx) {
            return response;
        }
    }
    panic!("the API's answer waited on nothing")
}

/// The handler inside the CORS layer: 200 with [`APP_HEADERS`], or the scenario's redirect.
#[derive(Clone, Debug)]
struct Handler {
    redirect: Option<(u16, String)>,
}

impl Service<Request<()>> for Handler {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _request: Request<()>) -> Self::Future {
        let response = match &self.redirect {
            Some((status, to)) => {
                let mut r = Response::new(Full::new(Bytes::new()));
                *r.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::FOUND);
                if let Ok(v) = HeaderValue::from_str(to) {
                    r.headers_mut().insert(http::header::LOCATION, v);
                }
                r.headers_mut()
                    .insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
                r
            }
            None => {
                let mut r = Response::new(Full::new(Bytes::from_static(BODY)));
                for (name, value) in APP_HEADERS {
                    r.headers_mut()
                        .append(*name, HeaderValue::from_static(value));
                }
                r.headers_mut().insert(
                    http::header::CONTENT_LENGTH,
                    HeaderValue::from(BODY.len() as u64),
                );
                r
            }
        };
        ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corsmatch::policy::PolicyConfig;

    fn api(overrides: ServerOverrides) -> ScenarioApi {
        let mut policy = PolicyConfig::new(["https://a.example"]);
        policy.methods = vec!["PUT".into()];
        ScenarioApi::new("t1", &policy, &overrides).unwrap()
    }

    fn preflight() -> Request<()> {
        Request::builder()
            .method("OPTIONS")
            .uri("/s/t1/x")
            .header("origin", "https://a.example")
            .header("access-control-request-method", "PUT")
            .body(())
            .unwrap()
    }

    #[test]
    fn the_layer_answers_preflights_and_the_override_changes_the_status() {
        let r = answer_now(&api(ServerOverrides::default()), preflight());
        assert_eq!(r.status(), 204);
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://a.example"
        );
        let overrides = ServerOverrides {
            preflight_status: Some(500),
            ..ServerOverrides::default()
        };
        let r = answer_now(&api(overrides), preflight());
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()["access-control-allow-methods"], "PUT");
    }

    #[test]
    fn a_redirect_carries_the_policy_headers() {
        let overrides = ServerOverrides {
            redirect: Some(307),
            ..ServerOverrides::default()
        };
        let get = Request::builder()
            .uri("/s/t1/x")
            .header("origin", "https://a.example")
            .body(())
            .unwrap();
        let r = answer_now(&api(overrides), get);
        assert_eq!(r.status(), 307);
        assert_eq!(
            r.headers()["location"],
            "https://api.corsmatch.test/s/t1/target"
        );
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://a.example"
        );
    }
}
