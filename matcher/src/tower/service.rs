//! [`Cors`]: the service, and [`ResponseFuture`], its future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::Source;
use crate::http::route::{Pass, Route};

/// A service that answers preflights and sets the policy's CORS headers on the inner service's
/// responses; made by [`super::CorsLayer`].
#[derive(Clone, Debug)]
pub struct Cors<S> {
    inner: S,
    source: Source,
}

impl<S> Cors<S> {
    pub(super) fn new(inner: S, source: Source) -> Cors<S> {
        Cors { inner, source }
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
        let route = match &self.source {
            Source::Fixed(policy) => policy.route(request.method(), request.headers()),
            Source::Shared(shared) => shared.guard().route(request.method(), request.headers()),
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
