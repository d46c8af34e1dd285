#![no_main]
#[path = "../checks.rs"]
mod checks;

use std::sync::LazyLock;

// One database and router for the whole run: each input is one request.
static API: LazyLock<checks::Api> = LazyLock::new(checks::Api::new);

libfuzzer_sys::fuzz_target!(|data: &[u8]| API.check(data));
