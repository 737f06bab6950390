//! [`Cors`]: the service, and [`ResponseFuture`], its future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::{SharedObserver, Source};
use crate::http::route::{Pass, Route};
use crate::policy::Decision;

/// A service that answers preflights and sets the policy's CORS headers on the inner service's
/// responses; made by [`super::CorsLayer`].
#[derive(Clone, Debug)]
pub struct Cors<S> {
    inner: S,
    source: Source,
    observer: Option<SharedObserver>,
}

impl<S> Cors<S> {
    pub(super) fn new(inner: S, source: Source, observer: Option<SharedObserver>) -> Cors<S> {
        Cors {
            inner,
            source,
            observer,
        }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Cors<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    /// Ready when the inner service is: a preflight answered here leaves the capacity it reserved
    /// for the next request.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let observer = &self.observer;
        let observe = |decision: &Decision<'_, '_>| {
            if let Some(observer) = observer {
                observer.0.decided(decision);
            }
        };
        let route = match &self.source {
            Source::Fixed(policy) => policy.route(request.method(), request.headers(), observe),
            Source::Shared(shared) => {
                shared
                    .guard()
                    .route(request.method(), request.headers(), observe)
            }
        };
        let state = match route {
            Route::Answer(response) => State::Answered {
                response: Some(response),
            },
            Route::PassOn(pass) => State::Inner {
                future: self.inner.call(request),
                pass: Some(pass),
            },
        };
        ResponseFuture { state }
    }
}

pin_project! {
    /// The future of [`Cors`]: a preflight's answer, or the inner service's response with the
    /// verdict applied to it.
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Answered { response: Option<Response<B>> },
        Inner { #[pin] future: F, pass: Option<Pass> },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending, // polled after completion: never ready again
            },
            StateProj::Inner { future, pass } => {
                let mut response = match future.poll(cx) {
                    Poll::Ready(Ok(response)) => response,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                };
                if let Some(pass) = pass.take() {
                    pass.apply(response.headers_mut());
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Waker;

    use tower_layer::Layer;

    use super::*;
    use crate::policy::{Policy, PolicyConfig};
    use crate::tower::{CorsLayer, SharedPolicy};

    /// A service answering 200 with an empty body, counting its calls.
    #[derive(Clone)]
    struct Counting(Arc<AtomicUsize>);

    impl Service<Request<()>> for Counting {
        type Response = Response<()>;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<Response<()>, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<()>) -> Self::Future {
            self.0.fetch_add(1, Ordering::Relaxed);
            std::future::ready(Ok(Response::new(())))
        }
    }

    fn request(method: &str, pairs: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().method(method).uri("/");
        for (n, v) in pairs {
            builder = builder.header(*n, *v);
        }
        builder.body(()).unwrap()
    }

    fn poll<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the test services are ready at once"),
        }
    }

    fn config(origins: &[&str]) -> PolicyConfig {
        PolicyConfig::new(origins.iter().copied()).methods(["PUT"])
    }

    #[test]
    fn a_preflight_never_reaches_the_inner_service() {
        let calls = Arc::new(AtomicUsize::new(0));
        let layer = CorsLayer::from_config(&config(&["https://a.example"])).unwrap();
        let mut cors = layer.layer(Counting(calls.clone()));
        let preflight = [
            ("origin", "https://a.example"),
            ("access-control-request-method", "PUT"),
        ];
        let response = poll(cors.call(request("OPTIONS", &preflight))).unwrap();
        assert_eq!(response.status(), 204);
        assert_eq!(response.headers()["access-control-allow-methods"], "PUT");
        let denied = [
            ("origin", "https://b.example"),
            ("access-control-request-method", "PUT"),
        ];
        assert_eq!(
            poll(cors.call(request("OPTIONS", &denied)))
                .unwrap()
                .status(),
            403
        );
        assert_eq!(calls.load(Ordering::Relaxed), 0);
        // A plain OPTIONS (no Access-Control-Request-Method) is not a preflight: it is passed on.
        let plain = [("origin", "https://a.example")];
        assert_eq!(
            poll(cors.call(request("OPTIONS", &plain)))
                .unwrap()
                .status(),
            200
        );
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_request_finishes_under_the_policy_it_started_with() {
        let shared = SharedPolicy::new(Policy::new(&config(&["https://a.example"])).unwrap());
        let mut cors = CorsLayer::shared(shared.clone()).layer(Counting(Arc::default()));
        let from_b = [("origin", "https://b.example")];
        // Decided now, under the policy that denies b; the response comes after the reload.
        let before = cors.call(request("GET", &from_b));
        shared.reload(&config(&["https://b.example"])).unwrap();
        let old = poll(before).unwrap();
        assert!(!old.headers().contains_key("access-control-allow-origin"));
        let new = poll(cors.call(request("GET", &from_b))).unwrap();
        assert_eq!(
            new.headers()["access-control-allow-origin"],
            "https://b.example"
        );
        // An invalid policy is refused, and the current one stays.
        assert!(shared.reload(&config(&["https://c.example/path"])).is_err());
        let still = poll(cors.call(request("GET", &from_b))).unwrap();
        assert_eq!(
            still.headers()["access-control-allow-origin"],
            "https://b.example"
        );
    }

    #[test]
    fn the_observer_sees_every_decision_once_with_its_rule() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let layer = CorsLayer::from_config(&config(&["https://a.example", "https://*.b.example"]))
            .unwrap()
            .observe(move |d: &Decision<'_, '_>| {
                let origin = d.request().origin.unwrap_or_default();
                let rule = d.policy().matcher().find(origin).map(|r| r.index());
                log.lock()
                    .unwrap()
                    .push((d.kind().name(), d.reason().map(|r| r.name()), rule));
            });
        let mut cors = layer.layer(Counting(Arc::default()));
        let calls: [(&str, &[(&str, &str)]); 4] = [
            (
                "OPTIONS",
                &[
                    ("origin", "https://x.b.example"),
                    ("access-control-request-method", "DELETE"),
                ],
            ),
            ("GET", &[("origin", "https://a.example")]),
            ("GET", &[("origin", "https://a.example.evil")]),
            ("GET", &[]),
        ];
        for (method, pairs) in calls {
            poll(cors.call(request(method, pairs))).unwrap();
        }
        assert_eq!(
            *seen.lock().unwrap(),
            [
                ("preflight-denied", Some("method-not-allowed"), Some(1)),
                ("actual-allowed", None, Some(0)),
                ("actual-denied", Some("origin-not-allowed"), None),
                ("not-cors", None, None),
            ]
        );
    }

    #[test]
    fn the_layer_and_its_futures_are_send_sync_static() {
        fn send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
        fn send_static<T: Send + 'static>(_: &T) {}
        let layer = CorsLayer::from_config(&config(&["https://a.example"])).unwrap();
        send_sync(&layer);
        let mut cors = layer.layer(Counting(Arc::default()));
        send_sync(&cors);
        let future = cors.call(request("GET", &[]));
        send_static(&future);
    }
}
