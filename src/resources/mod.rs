//! What the machine can bear: readings (CPU, memory, temperature, power)
//! and, in later steps, the controller that turns them into concurrency
//! limits.
//!
//! Invariant: a reading that cannot be taken is reported as missing
//! (`None`), never as zero; a missing temperature is not 0 °C.

pub mod thermal;
pub mod throttle;
