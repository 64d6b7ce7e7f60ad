//! A test-only fault hook: `KEYWARD_TEST_CRASH_AFTER=STEP` makes the process exit abruptly
//! (no destructors, no state update) right after STEP's action, to prove rotation resumes.
//!
//! STEP is `create`, `set`, `test`, `promote` or `finish` (after the action, before the
//! state is recorded) or the same with `+recorded` (after the state is recorded).

/// The environment variable naming the crash point.
pub const CRASH_VAR: &str = "KEYWARD_TEST_CRASH_AFTER";

/// Exit with status 137 (as if SIGKILLed) when `point` is the configured crash point.
pub fn crash_point(point: &str) {
    if std::env::var(CRASH_VAR).is_ok_and(|p| p == point) {
        eprintln!("keyward: test fault: crashing after {point}");
        std::process::exit(137);
    }
}
