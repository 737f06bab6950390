//! The tower layers side by side, wall time per request (criterion): corsmatch's `Cors`, tower-http
//! 0.7's and 0.6's `CorsLayer`, and the floors, each around the same trivial upstream and polled to
//! completion in-process (fixtures in `src/layer.rs`).
//!
//! * `layer/preflight`: an allowed preflight with the 13 headers a browser sends; the floor builds
//!   the same 204 response from prepared header values without deciding anything.
//! * `layer/actual`: an allowed `GET` whose upstream response has 7 headers; the floor is the
//!   upstream alone.
//!
//! Each group runs its engines in one run, so the ratios between them come from the same machine
//! state. Building the request and the upstream's response is not timed (`iter_batched`), nor is
//! dropping the response. The inputs are built 32 at a time: with criterion's `SmallInput` batches
//! (thousands of requests, each with its own buffer) the timed calls mostly waited on memory, and
//! the same code moved by 2x between runs. Instruction counts of the same calls: the `layers` group
//! of `icount.rs`.

use std::hint::black_box;

use corsmatch_benches::layer::{self, Floor, Upstream};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http::{Request, Response};
use tower::Service;

/// Benchmarks `service` on requests from `request`, after handing the upstream `upstream` finds in
/// it a fresh response (none for preflights, which never reach it, and the floor).
fn engine<S>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    mut service: S,
    upstream: fn(&mut S) -> Option<&mut Upstream>,
    request: fn() -> Request<()>,
) where
    S: Service<Request<()>, Response = Response<()>, Error = std::convert::Infallible>,
{
    group.bench_function(name, |b| {
        b.iter_batched(
            || (request(), layer::upstream_response()),
            |(request, response)| {
                // An unused response is returned, so that dropping it is not timed either.
                let unused = match upstream(&mut service) {
                    Some(upstream) => {
                        upstream.prepare(response);
                        None
                    }
                    None => Some(response),
                };
                (
                    black_box(layer::serve(&mut service, black_box(request))),
                    unused,
                )
            },
            BatchSize::NumIterations(32),
        )
    });
}

fn preflight(c: &mut Criterion) {
    layer::assert_allowed_preflight(&layer::serve(
        &mut layer::corsmatch_layer(),
        layer::preflight(),
    ));
    layer::assert_allowed_preflight(&layer::serve(
        &mut layer::tower_http_07(),
        layer::preflight(),
    ));
    layer::assert_allowed_preflight(&layer::serve(
        &mut layer::tower_http_06(),
        layer::preflight(),
    ));
    layer::assert_allowed_preflight(&layer::serve(&mut Floor::new(), layer::preflight()));
    let mut group = c.benchmark_group("layer/preflight");
    // A preflight never reaches the upstream: no response to prepare.
    engine(
        &mut group,
        "corsmatch",
        layer::corsmatch_layer(),
        |_| None,
        layer::preflight,
    );
    engine(
        &mut group,
        "tower_http_07",
        layer::tower_http_07(),
        |_| None,
        layer::preflight,
    );
    engine(
        &mut group,
        "tower_http_06",
        layer::tower_http_06(),
        |_| None,
        layer::preflight,
    );
    engine(
        &mut group,
        "floor",
        Floor::new(),
        |_| None,
        layer::preflight,
    );
    group.finish();
}

fn actual(c: &mut Criterion) {
    layer::assert_allowed_actual(&layer::serve(
        &mut layer::corsmatch_layer(),
        layer::actual(),
    ));
    layer::assert_allowed_actual(&layer::serve(&mut layer::tower_http_07(), layer::actual()));
    layer::assert_allowed_actual(&layer::serve(&mut layer::tower_http_06(), layer::actual()));
    let mut group = c.benchmark_group("layer/actual");
    engine(
        &mut group,
        "corsmatch",
        layer::corsmatch_layer(),
        |s| Some(s.get_mut()),
        layer::actual,
    );
    engine(
        &mut group,
        "tower_http_07",
        layer::tower_http_07(),
        |s| Some(s.get_mut()),
        layer::actual,
    );
    engine(
        &mut group,
        "tower_http_06",
        layer::tower_http_06(),
        |s| Some(s.get_mut()),
        layer::actual,
    );
    engine(
        &mut group,
        "upstream",
        Upstream::new(),
        |s| Some(s),
        layer::actual,
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = corsmatch_benches::quick();
    targets = preflight, actual
}
criterion_main!(benches);
