//! The command line as data (clap derive).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "scoutly",
    version,
    about = "Watches companies' careers pages for new job postings"
)]
pub struct Cli {
    /// Config file (else $SCOUTLY_CONFIG, else /etc/scoutly/scoutly.toml, else built-in defaults).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Data directory (else $SCOUTLY_DATA_DIR, $STATE_DIRECTORY, ./scoutly-data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether this runs the appliance (which logs at info level).
    pub fn is_run(&self) -> bool {
        matches!(self.command, Command::Run(_))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the appliance: scheduler, workers, HTTP server, status files.
    Run(RunArgs),
    /// What the appliance is doing.
    Status,
    /// Manage companies.
    #[command(subcommand)]
    Company(CompanyCmd),
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Track a company for a user with a rank (1-100).
    Track {
        #[arg(long)]
        user: String,
        #[arg(long)]
        company: String,
        #[arg(long, allow_negative_numbers = true)]
        rank: i64,
    },
    /// Stop tracking a company for a user.
    Untrack {
        #[arg(long)]
        user: String,
        #[arg(long)]
        company: String,
    },
    /// List and control scrape jobs.
    #[command(subcommand)]
    Jobs(JobsCmd),
    /// New postings, newest first.
    Postings {
        /// Only companies this user tracks.
        #[arg(long)]
        user: Option<String>,
        /// Only postings first seen at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        limit: Option<usize>,
        /// Include baseline postings (already listed when tracking began).
        #[arg(long)]
        all: bool,
        /// Only postings that scored at least this (0-100) for --user.
        #[arg(long, allow_negative_numbers = true)]
        min_score: Option<i64>,
    },
    /// Companies that need a human.
    Attention,
    /// Job analytics: success and failure rates, durations, errors by
    /// class, new postings and queue depth, with sparklines on a terminal.
    Stats {
        /// Start: RFC 3339, or a duration back from now such as "7d"
        /// (default: a day before --to).
        #[arg(long)]
        from: Option<String>,
        /// End: RFC 3339 or a duration back from now (default: now).
        #[arg(long)]
        to: Option<String>,
        /// One company (name or id) instead of all.
        #[arg(long)]
        company: Option<String>,
    },
    /// Notifications waiting for delivery; `--dead` lists those given up.
    Outbox {
        #[arg(long)]
        dead: bool,
        #[arg(long)]
        limit: Option<usize>,
        #[command(subcommand)]
        cmd: Option<OutboxCmd>,
    },
    /// Run one scheduler pass now (for cron/anacron setups).
    Enqueue,
    /// Write all state (companies, users, preferences, snapshots, postings,
    /// jobs, budgets, notifications) to FILE as versioned JSON lines; `-` is
    /// standard output.
    Export { file: std::path::PathBuf },
    /// Read an export into this data directory's database, which must hold
    /// nothing yet, with the appliance stopped.
    Import { file: std::path::PathBuf },
    /// Copy the database, consistently, into DIR as
    /// scoutly-<UTC time>.redb, while the appliance runs or not.
    Backup {
        dir: std::path::PathBuf,
        /// Keep only the newest N backups in DIR (default: keep all).
        #[arg(long)]
        keep: Option<usize>,
    },
    /// Explain what a scrape of URL would do and find, storing nothing.
    Check {
        /// A careers page URL.
        url: String,
        /// Fetch mode: auto, http or browser (default: the company's, else auto).
        #[arg(long)]
        mode: Option<String>,
    },
    /// Print or check configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also serve a built-in demo careers site and watch it.
    #[arg(long)]
    pub demo: bool,
    /// Listen address (else $SCOUTLY_LISTEN, else http.listen).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum CompanyCmd {
    /// Add a company.
    Add {
        #[arg(long)]
        name: String,
        /// Careers page URL; repeat for several.
        #[arg(long = "url", required = true)]
        urls: Vec<String>,
        /// Track it at this rank (for --user, else the built-in operator user).
        #[arg(long, allow_negative_numbers = true)]
        rank: Option<i64>,
        /// auto, http or browser.
        #[arg(long)]
        mode: Option<String>,
        /// Regex: links matching it are job links.
        #[arg(long)]
        include: Vec<String>,
        /// Regex: links matching it are never job links.
        #[arg(long)]
        exclude: Vec<String>,
        #[arg(long)]
        user: Option<String>,
    },
    /// List companies.
    List,
    /// Show one company (id or name).
    Show { company: String },
    /// Change a company.
    Set {
        company: String,
        #[arg(long)]
        name: Option<String>,
        /// Replaces all careers URLs; repeat for several.
        #[arg(long = "url")]
        urls: Vec<String>,
        #[arg(long)]
        mode: Option<String>,
        /// Replaces the include patterns.
        #[arg(long)]
        include: Vec<String>,
        /// Replaces the exclude patterns.
        #[arg(long)]
        exclude: Vec<String>,
        /// Take the company out of quarantine (and close its circuit, end its
        /// backoff): it is scheduled again.
        #[arg(long)]
        resume: bool,
    },
    /// Remove a company with its snapshot and postings.
    Remove { company: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user; prints the id and API token once.
    Add {
        name: String,
        #[arg(long, conflicts_with = "service")]
        admin: bool,
        /// A service account: its token acts for the user each request
        /// names in `X-Scoutly-User` (for a front end's server).
        #[arg(long)]
        service: bool,
    },
    /// List users.
    List,
    /// Give a user a new API token (printed once); the old one stops working.
    Token { name: String },
    /// Revoke a user's API token; `user token` gives a new one.
    Revoke { name: String },
    /// Show a user's matching criteria, or replace the parts given.
    Criteria {
        name: String,
        /// A keyword or phrase, with an optional weight 1-10 (default 1):
        /// `--keyword rust=3 --keyword "distributed systems"`. Replaces all
        /// keywords.
        #[arg(long = "keyword")]
        keywords: Vec<String>,
        /// A posting mentioning this scores 0. Replaces all exclusions.
        #[arg(long)]
        exclude: Vec<String>,
        /// A place the user can work in. Replaces all locations.
        #[arg(long = "location")]
        locations: Vec<String>,
        /// Remote work: any, prefer, only or never.
        #[arg(long)]
        remote: Option<String>,
        /// Remove all criteria (every posting then scores 50).
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCmd {
    /// Send a given-up notification again (same idempotency key).
    Retry { id: u64 },
}

#[derive(Debug, Subcommand)]
pub enum JobsCmd {
    /// List jobs, newest first.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        company: Option<String>,
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Scrape a company now (id or name).
    Start { company: String },
    /// Retry a failed or cancelled job.
    Retry { job: u64 },
    /// Cancel a pending or running job.
    Cancel { job: u64 },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the full default config with comments.
    Default,
    /// Validate a config file (default: the one scoutly would read).
    Check { file: Option<PathBuf> },
}
