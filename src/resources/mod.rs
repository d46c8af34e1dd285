//! What the machine can bear: readings (CPU, memory, temperature, fan,
//! power, disk) and the controller that turns them into concurrency limits.
//!
//! Invariant: a reading that cannot be taken is reported as missing
//! (`None`), never as zero; a missing temperature is not 0 °C.

pub mod controller;
pub mod disk;
pub mod fan;
pub mod gate;
pub mod monitor;
pub mod power;
pub mod sampler;
pub mod shared;
pub mod thermal;
pub mod throttle;
pub mod tree;
