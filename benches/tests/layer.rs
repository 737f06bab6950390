//! The engines of the layer benches (`src/layer.rs`) answer the bench requests as the benches
//! assume: allowed, with exactly these headers, so that the benches compare like with like.

use corsmatch_benches::layer::{self, Floor, Upstream};
use http::{Response, StatusCode};

/// Every header of `response`, in the map's order, as strings.
fn headers(response: &Response<()>) -> Vec<(&str, &str)> {
    response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect()
}

/// The upstream's headers, then `cors`.
fn upstream_and<'a>(cors: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = layer::RESPONSE_HEADERS.to_vec();
    all.extend_from_slice(cors);
    all
}

const ORIGIN: (&str, &str) = ("access-control-allow-origin", "https://app.example.com");
const CREDENTIALS: (&str, &str) = ("access-control-allow-credentials", "true");
const MAX_AGE: (&str, &str) = ("access-control-max-age", "600");
const EXPOSE: (&str, &str) = ("access-control-expose-headers", "x-request-id");
/// tower-http's lists (it answers with its configuration, not what was asked).
const TOWER_METHODS: (&str, &str) = (
    "access-control-allow-methods",
    "GET,HEAD,POST,PUT,PATCH,DELETE",
);
const TOWER_HEADERS: (&str, &str) = (
    "access-control-allow-headers",
    "content-type,authorization,x-request-id",
);

#[test]
fn corsmatch_and_its_floor_answer_the_preflight_with_what_was_asked() {
    let want = [
        ORIGIN,
        CREDENTIALS,
        ("access-control-allow-methods", "PUT"),
        ("access-control-allow-headers", "content-type,x-request-id"),
        MAX_AGE,
        (
            "vary",
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        ),
    ];
    for response in [
        layer::serve(&mut layer::corsmatch_layer(), layer::preflight()),
        layer::serve(&mut Floor::new(), layer::preflight()),
    ] {
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(headers(&response), want);
        layer::assert_allowed_preflight(&response);
    }
}

#[test]
fn tower_http_answers_the_preflight_with_its_lists() {
    let r07 = layer::serve(&mut layer::tower_http_07(), layer::preflight());
    let r06 = layer::serve(&mut layer::tower_http_06(), layer::preflight());
    for response in [&r07, &r06] {
        assert_eq!(response.status(), StatusCode::OK);
        layer::assert_allowed_preflight(response);
    }
    assert_eq!(
        headers(&r07),
        [
            CREDENTIALS,
            ("vary", "origin"),
            TOWER_METHODS,
            TOWER_HEADERS,
            MAX_AGE,
            ORIGIN
        ]
    );
    assert_eq!(
        headers(&r06),
        [
            CREDENTIALS,
            (
                "vary",
                "origin, access-control-request-method, access-control-request-headers"
            ),
            TOWER_METHODS,
            TOWER_HEADERS,
            MAX_AGE,
            ORIGIN
        ]
    );
}

#[test]
fn every_layer_adds_the_same_headers_to_the_actual_response() {
    let upstream = layer::serve(&mut Upstream::new(), layer::actual());
    assert_eq!(upstream.status(), StatusCode::OK);
    assert_eq!(headers(&upstream), layer::RESPONSE_HEADERS);
    // The second `Vary` value sits beside the first in the map's order.
    let with_vary = |vary: &'static str, cors: &[(&'static str, &'static str)]| {
        let mut all = upstream_and(cors);
        all.insert(6, ("vary", vary));
        all
    };
    let corsmatch = layer::serve(&mut layer::corsmatch_layer(), layer::actual());
    assert_eq!(
        headers(&corsmatch),
        with_vary("Origin", &[ORIGIN, CREDENTIALS, EXPOSE])
    );
    let r07 = layer::serve(&mut layer::tower_http_07(), layer::actual());
    assert_eq!(
        headers(&r07),
        with_vary("origin", &[CREDENTIALS, ORIGIN, EXPOSE])
    );
    let r06 = layer::serve(&mut layer::tower_http_06(), layer::actual());
    assert_eq!(
        headers(&r06),
        with_vary(
            "origin, access-control-request-method, access-control-request-headers",
            &[CREDENTIALS, ORIGIN, EXPOSE]
        )
    );
    for response in [&corsmatch, &r07, &r06] {
        layer::assert_allowed_actual(response);
    }
}

#[test]
fn the_requests_are_what_a_browser_sends() {
    let preflight = layer::preflight();
    assert_eq!(preflight.method(), http::Method::OPTIONS);
    assert_eq!(preflight.headers().len(), 13);
    let actual = layer::actual();
    assert_eq!(actual.method(), http::Method::GET);
    assert_eq!(actual.headers().len(), 11);
    assert_eq!(actual.headers()["origin"], layer::ORIGIN);
}
