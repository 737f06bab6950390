//! [`ProxyBody`]: the body of every response the proxy sends.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

/// A response body: the upstream's, streamed frame by frame as it arrives (never buffered whole),
/// or one the proxy made (an error message, an empty preflight answer, the admin pages).
#[derive(Debug, Default)]
pub enum ProxyBody {
    /// The upstream's body, passed through.
    Upstream(Incoming),
    /// A body made here, sent in one frame; `None` once sent (and for the empty body).
    #[default]
    Empty,
    /// A body made here, sent in one frame.
    Full(Option<Bytes>),
}

impl ProxyBody {
    /// A body made of `text`.
    pub fn text(text: impl Into<Bytes>) -> ProxyBody {
        ProxyBody::Full(Some(text.into()))
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            ProxyBody::Upstream(body) => Pin::new(body).poll_frame(cx),
            ProxyBody::Empty => Poll::Ready(None),
            ProxyBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ProxyBody::Upstream(body) => body.is_end_stream(),
            ProxyBody::Empty => true,
            ProxyBody::Full(data) => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ProxyBody::Upstream(body) => body.size_hint(),
            ProxyBody::Empty => SizeHint::with_exact(0),
            ProxyBody::Full(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}
