//! What the machine can bear: readings (CPU, memory, temperature, power)
//! and the controller that turns them into concurrency limits (not yet
//! wired to a sampler or the workers).
//!
//! Invariant: a reading that cannot be taken is reported as missing
//! (`None`), never as zero; a missing temperature is not 0 °C.

pub mod controller;
pub mod power;
pub mod sampler;
pub mod thermal;
pub mod throttle;
