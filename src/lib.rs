//! Scoutly: an appliance that watches companies' careers pages for new job
//! postings.
//!
//! Data flows one way (see ARCHITECTURE.md):
//! `config → store ← scheduler → queue → worker (fetch → extract → diff) →
//! store`, with `http`, `status` and `admin` reading the store and asking the
//! queue to enqueue or cancel. `app` wires it together; `main.rs` only parses
//! the command line and reports errors.

pub mod admin;
pub mod alerts;
pub mod analytics;
pub mod analyze;
pub mod app;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod demo;
pub mod events;
pub mod extract;
pub mod fetch;
pub mod http;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod outbound;
pub mod queue;
pub mod resources;
pub mod scheduler;
pub mod service;
pub mod status;
pub mod store;
pub mod views;
pub mod worker;
