//! The `scoutly` command line: parse, load config, then either run the
//! appliance or turn a subcommand into a [`Request`] and execute it: over the
//! admin socket when an appliance is running on this data directory, else
//! directly against the database file.

mod args;
mod backup;
mod output;
mod stats;
mod transfer;

use std::path::Path;

use anyhow::{Context, bail};
use serde_json::Value;

pub use args::Cli;
use args::{Command, CompanyCmd, ConfigCmd, JobsCmd, OutboxCmd, UserCmd};

use crate::admin::{self, AdminError};
use crate::config::{self, Config, Env, Paths};
use crate::control::{Control, Request};
use crate::model::FetchMode;
use crate::store::Store;

/// Exit code for configuration and usage mistakes.
pub const EXIT_CONFIG: u8 = 2;

/// A config problem, reported with exit code 2.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ConfigProblem(#[from] pub config::ConfigError);

fn load_config(flag: Option<&Path>, env: &dyn Env) -> Result<Config, ConfigProblem> {
    match config::find_config_file(flag, env) {
        Some(path) => Ok(Config::load(&path)?),
        None => Ok(Config::defaults()),
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli, env: &dyn Env) -> anyhow::Result<()> {
    let paths = Paths::resolve(cli.data_dir.as_deref(), env);
    let json = cli.json;
    let request = match cli.command {
        Command::Run(args) => {
            let config = load_config(cli.config.as_deref(), env)?;
            let listen = match (args.listen, env.var("SCOUTLY_LISTEN")) {
                (Some(a), _) => Some(a),
                (None, Some(s)) => Some(s.parse().with_context(|| {
                    format!("$SCOUTLY_LISTEN={s:?} is not an address such as 127.0.0.1:8080")
                })?),
                (None, None) => None,
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .on_thread_start(crate::app::yield_to_server)
                .build()
                .context("cannot start the async runtime")?;
            return runtime
                .block_on(crate::app::run(crate::app::RunOptions {
                    config,
                    paths,
                    listen,
                    demo: args.demo,
                    clock: crate::clock::system(),
                }))
                .map_err(Into::into);
        }
        Command::Config(ConfigCmd::Default) => {
            print!("{}", config::DEFAULT_TOML);
            return Ok(());
        }
        Command::Config(ConfigCmd::Check { file }) => {
            let path = file.or_else(|| config::find_config_file(cli.config.as_deref(), env));
            match path {
                Some(p) => {
                    Config::load(&p).map_err(ConfigProblem)?;
                    println!("config {} is valid", p.display());
                }
                None => {
                    println!("no config file found; the built-in defaults are in use (and valid)")
                }
            }
            return Ok(());
        }
        Command::Status => {
            if json {
                Request::Status
            } else {
                Request::StatusText
            }
        }
        Command::Company(c) => company_request(c),
        Command::User(UserCmd::Add {
            name,
            admin,
            service,
        }) => Request::UserAdd {
            name,
            admin,
            service,
        },
        Command::User(UserCmd::Token { name }) => Request::UserToken {
            user: name,
            revoke: false,
        },
        Command::User(UserCmd::Revoke { name }) => Request::UserToken {
            user: name,
            revoke: true,
        },
        Command::User(UserCmd::List) => Request::UserList,
        Command::User(UserCmd::Criteria {
            name,
            keywords,
            exclude,
            locations,
            remote,
            clear,
        }) => Request::UserCriteria {
            user: name,
            keywords: (!keywords.is_empty() || clear).then_some(keywords),
            exclude: (!exclude.is_empty() || clear).then_some(exclude),
            locations: (!locations.is_empty() || clear).then_some(locations),
            remote: remote.or(clear.then(|| "any".to_string())),
        },
        Command::Track {
            user,
            company,
            rank,
        } => Request::Track {
            user,
            company,
            rank,
        },
        Command::Untrack { user, company } => Request::Untrack { user, company },
        Command::Jobs(JobsCmd::List {
            status,
            company,
            limit,
        }) => Request::JobsList {
            status,
            company,
            limit,
        },
        Command::Jobs(JobsCmd::Start { company }) => Request::JobsStart { company },
        Command::Jobs(JobsCmd::Retry { job }) => Request::JobsRetry { job },
        Command::Jobs(JobsCmd::Cancel { job }) => Request::JobsCancel { job },
        Command::Postings {
            user,
            since,
            limit,
            all,
            min_score,
        } => Request::Postings {
            user,
            since,
            limit,
            include_baseline: all,
            min_score,
        },
        Command::Check { url, mode } => {
            let config = load_config(cli.config.as_deref(), env)?;
            let flag = cli.config.as_deref();
            return check(&paths, flag, env, &config, &url, mode.as_deref(), json);
        }
        Command::Attention => Request::Attention,
        Command::Stats { from, to, company } => Request::Stats { from, to, company },
        Command::Outbox {
            cmd: Some(OutboxCmd::Retry { id }),
            ..
        } => Request::OutboxRetry { id },
        Command::Outbox {
            dead,
            limit,
            cmd: None,
        } => Request::Outbox { dead, limit },
        Command::Enqueue => Request::Enqueue,
        Command::Export { file } => {
            let flag = cli.config.as_deref();
            return transfer::export(&paths, flag, env, &file, json);
        }
        Command::Import { file } => {
            let config = load_config(cli.config.as_deref(), env)?;
            return transfer::import(&paths, &config, &file, json);
        }
        Command::Backup { dir, keep } => {
            let flag = cli.config.as_deref();
            return backup::run(&paths, flag, env, &dir, keep, json);
        }
    };
    let kind = output::Kind::of(&request);
    let value = execute(&paths, cli.config.as_deref(), env, request)?;
    output::print(kind, &value, json);
    Ok(())
}

/// `scoutly check URL`: fetch and extract here, compare with the snapshot
/// through the appliance (or the file) when the URL is a known company's.
fn check(
    paths: &Paths,
    config_flag: Option<&Path>,
    env: &dyn Env,
    config: &Config,
    raw_url: &str,
    mode: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let mode = mode
        .map(|m| {
            FetchMode::parse(m).with_context(|| {
                format!(
                    "--mode {m:?} is not a fetch mode; use one of {}",
                    FetchMode::ALLOWED
                )
            })
        })
        .transpose()?;
    let url = url::Url::parse(raw_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .with_context(|| {
            format!("{raw_url:?} is not an http(s) URL such as https://example.com/careers")
        })?;
    // The store is optional here: a URL nobody tracks is checked all the same.
    let company = execute(
        paths,
        config_flag,
        env,
        Request::CompanyForUrl {
            url: url.to_string(),
        },
    )
    .ok()
    .map(|v| v["company"].clone())
    .filter(|c| !c.is_null());
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let known = crate::check::Known {
        include: company
            .as_ref()
            .map(|c| strings(&c["include"]))
            .unwrap_or_default(),
        exclude: company
            .as_ref()
            .map(|c| strings(&c["exclude"]))
            .unwrap_or_default(),
        mode: mode
            .or_else(|| {
                let c = company.as_ref()?;
                FetchMode::parse(c["mode"].as_str()?)
            })
            .unwrap_or_default(),
    };
    if !json {
        eprintln!(
            "checking {url} (robots.txt first, then the page, with the configured courtesy delay)…"
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(crate::check::check(config, &url, &known));
    let mut value = serde_json::to_value(&report)?;
    value["company"] = Value::Null;
    value["new"] = Value::Null;
    if let Some(c) = &company {
        value["company"] = serde_json::json!({"id": c["id"], "name": c["name"]});
        if report.error.is_none() {
            let id = c["id"].as_u64().unwrap_or_default();
            let answer = execute(
                paths,
                config_flag,
                env,
                Request::SnapshotNew {
                    company: id,
                    links: report.all_links.clone(),
                },
            )?;
            value["new"] = answer["new"].clone();
        }
    }
    output::print_check(&value, json);
    Ok(())
}

fn company_request(c: CompanyCmd) -> Request {
    let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
    match c {
        CompanyCmd::Add {
            name,
            urls,
            rank,
            mode,
            include,
            exclude,
            user,
        } => Request::CompanyAdd {
            name,
            urls,
            rank,
            mode,
            include,
            exclude,
            user,
        },
        CompanyCmd::List => Request::CompanyList,
        CompanyCmd::Show { company } => Request::CompanyShow { company },
        CompanyCmd::Set {
            company,
            name,
            urls,
            mode,
            include,
            exclude,
            resume,
        } => Request::CompanySet {
            company,
            name,
            urls: some(urls),
            mode,
            include: some(include),
            exclude: some(exclude),
            resume,
        },
        CompanyCmd::Remove { company } => Request::CompanyRemove { company },
    }
}

/// A database that root creates in the service's data directory (say, an
/// operator's `sudo scoutly status` before the first start) must stay the
/// service's, or `scoutly run` as the service user could not open it.
fn give_to_data_dir_owner(paths: &Paths, db: &Path) {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let Ok(dir) = std::fs::metadata(&paths.data_dir) else {
        return;
    };
    if dir.uid() != 0
        && let Err(e) = std::os::unix::fs::chown(db, Some(dir.uid()), Some(dir.gid()))
    {
        eprintln!(
            "warning: cannot give {} to the data directory's owner (uid {}): {e}; run: chown {}:{} {}",
            db.display(),
            dir.uid(),
            dir.uid(),
            dir.gid(),
            db.display()
        );
    }
}

/// Through the running appliance if there is one, else directly.
pub(crate) fn execute(
    paths: &Paths,
    config_flag: Option<&Path>,
    env: &dyn Env,
    req: Request,
) -> anyhow::Result<Value> {
    match admin::call(&paths.socket(), &req) {
        Ok(answer) => return answer.map_err(|e| anyhow::anyhow!(e.message)),
        Err(AdminError::NotRunning(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let config = load_config(config_flag, env)?;
    paths.create()?;
    let db = paths.database();
    let existed = db.exists();
    let store = Store::open_with_cache(&db, config.store.cache_size)?;
    if !existed {
        give_to_data_dir_owner(paths, &db);
    }
    let control = Control::new(store, crate::clock::system(), std::sync::Arc::new(config));
    match control.execute(req) {
        Ok(v) => Ok(v),
        Err(e) => bail!(e.message),
    }
}
