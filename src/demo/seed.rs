//! Wiring the demo into the appliance: settings that show results within
//! a minute, and the companies, user and criteria it starts with.

use std::time::Duration;

use super::DemoSite;
use crate::config::{Config, RankBand};
use crate::control::{Control, Request};

/// Settings that make the demo show results within a minute.
pub fn config(mut config: Config, site: &DemoSite) -> Config {
    config.schedule.preset = "demo".into();
    config.schedule.bands = vec![RankBand {
        min: 1,
        max: 100,
        interval: Duration::from_secs(10),
    }];
    config.scheduler.pass_interval = Duration::from_secs(2);
    config.politeness.delay = Duration::from_millis(300);
    config.status.write_interval = Duration::from_secs(2);
    config.fetch.allowed_private = vec![site.addr];
    config
}

/// Register the demo companies and a demo admin; prints its token.
pub fn seed(control: &Control, site: &DemoSite) -> Result<(), String> {
    let err = |e: crate::control::ControlError| e.message;
    let token = match control.execute(Request::UserAdd {
        name: "demo".into(),
        admin: true,
        service: false,
    }) {
        Ok(v) => v["token"].as_str().unwrap_or_default().to_string(),
        Err(e) if e.code == "conflict" => String::new(),
        Err(e) => return Err(err(e)),
    };
    for (i, (slug, name)) in super::COMPANIES.iter().enumerate() {
        let url = site.careers_url(slug);
        let r = control.execute(Request::CompanyAdd {
            name: name.to_string(),
            urls: vec![url.clone()],
            rank: Some(90 - 20 * i as i64),
            mode: Some("http".into()),
            include: vec![],
            exclude: vec![],
            user: Some("demo".into()),
        });
        match r {
            Ok(_) => {}
            // A kept data directory: point the company at this run's site.
            Err(e) if e.code == "conflict" => {
                control
                    .execute(Request::CompanySet {
                        company: name.to_string(),
                        name: None,
                        urls: Some(vec![url]),
                        mode: None,
                        include: None,
                        exclude: None,
                        resume: false,
                    })
                    .map_err(err)?;
            }
            Err(e) => return Err(err(e)),
        }
    }
    // Criteria, so the demo's postings get scores and reasons.
    control
        .execute(Request::UserCriteria {
            user: "demo".into(),
            keywords: Some(vec![
                "engineer=3".into(),
                "machine learning=2".into(),
                "security=1".into(),
            ]),
            exclude: Some(vec!["sales".into()]),
            locations: None,
            remote: Some("prefer".into()),
        })
        .map_err(err)?;
    if !token.is_empty() {
        println!("demo API token (shown once): {token}");
    }
    Ok(())
}
