//! A counting global allocator for the zero-allocation tests. Each test binary that uses it installs
//! it with `#[global_allocator] static GLOBAL: common::Counting = common::Counting;` and measures a
//! closure with [`allocations_in`].
//!
//! Counts are kept per thread, and only while the thread is inside [`allocations_in`]: the test
//! harness, other tests running in parallel, and the thread runtime (spawning, barriers, exiting)
//! allocate on their own schedule, and a global counter read around a region picked those up now and
//! then, making the tests flaky without saying anything about the code under test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// Counts every allocation, reallocation and zeroed allocation made by a thread inside
/// [`allocations_in`]; defers to the system allocator.
pub struct Counting;

fn note() {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = MEASURING.try_with(|m| {
        if m.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

/// The allocations this thread makes while running `f`.
pub fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = COUNT.with(Cell::get);
    MEASURING.with(|m| m.set(true));
    f();
    MEASURING.with(|m| m.set(false));
    COUNT.with(Cell::get) - before
}

// SAFETY: defers to the system allocator; only counts calls (in const-initialized thread-locals,
// which never allocate).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        System.realloc(ptr, layout, new_size)
    }
}

#[test]
fn counts_allocations_of_this_thread_inside_the_region_only() {
    assert_eq!(
        allocations_in(|| drop(std::hint::black_box(vec![1u8; 16]))),
        1
    );
    assert_eq!(allocations_in(|| {}), 0);
    let other = std::thread::spawn(|| allocations_in(|| drop(std::hint::black_box(Box::new(1)))));
    assert_eq!(other.join().unwrap(), 1);
}
