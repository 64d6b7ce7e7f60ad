//! A test-only fault hook: `KEYWARD_TEST_CRASH_AFTER=STEP` makes the process exit abruptly
//! (no destructors, no state update) right after STEP's action, to prove rotation resumes.
//!
//! STEP is `create`, `set`, `test`, `promote` or `finish` (after the action, before the
//! state is recorded) or the same with `+recorded` (after the state is recorded).
//!
//! The hook exists only in debug builds with the `test-faults` feature, which only test
//! builds enable (keyward-cli's dev-dependency): a release build, or any build without
//! the feature, compiles [`crash_point`] to nothing and contains no trace of the variable.

/// The environment variable naming the crash point.
#[cfg(all(feature = "test-faults", debug_assertions))]
pub const CRASH_VAR: &str = "KEYWARD_TEST_CRASH_AFTER";

/// Exit with status 137 (as if SIGKILLed) when `point` is the configured crash point.
#[cfg(all(feature = "test-faults", debug_assertions))]
pub fn crash_point(point: &str) {
    if std::env::var(CRASH_VAR).is_ok_and(|p| p == point) {
        eprintln!("keyward: test fault: crashing after {point}");
        std::process::exit(137);
    }
}

/// Does nothing: this build has no fault hook (release, or no `test-faults` feature).
#[cfg(not(all(feature = "test-faults", debug_assertions)))]
#[inline(always)]
pub fn crash_point(_point: &str) {}

/// Whether this build has the fault hook.
pub const ENABLED: bool = cfg!(all(feature = "test-faults", debug_assertions));
