//! `corsmatch-browser [--chromium PATH] [--browser chromium|fetch] [--filter SUBSTRING] [--json FILE]
//! [--list]`: runs the real-browser scenarios in headless Chromium and compares them with the
//! browser model, by default its `chromium` profile (`--browser fetch`: the standard as written,
//! to see where the pinned Chromium departs from it).
//!
//! Prints one line per disagreement, then `N scenarios, N agree, N known deviations, N disagree`.
//! Exits 0 when every disagreement is a listed deviation, 1 otherwise, 2 when Chromium is missing or
//! cannot start, 3 on a usage or table error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use corsmatch_browser::chromium;
use corsmatch_browser::run::{self, Settings, Verdict};
use corsmatch_browser::scenario;
use corsmatch_conformance::browser::Profile;
use corsmatch_conformance::cases;

struct Args {
    chromium: Option<PathBuf>,
    filter: Option<String>,
    json: Option<PathBuf>,
    list: bool,
    profile: Profile,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        chromium: None,
        filter: None,
        json: None,
        list: false,
        profile: Profile::Chromium,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--chromium" => args.chromium = Some(PathBuf::from(value("--chromium")?)),
            "--filter" => args.filter = Some(value("--filter")?),
            "--json" => args.json = Some(PathBuf::from(value("--json")?)),
            "--list" => args.list = true,
            "--browser" => {
                let name = value("--browser")?;
                args.profile = Profile::from_name(&name)
                    .ok_or(format!("--browser {name:?}: not chromium or fetch"))?;
            }
            "-h" | "--help" => {
                return Err(
                    "usage: corsmatch-browser [--chromium PATH] [--browser chromium|fetch] [--filter SUBSTRING] [--json FILE] [--list]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(3);
        }
    };
    let scenario::Loaded {
        mut scenarios,
        skipped,
    } = match scenario::load_all() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
    };
    let deviations: Vec<cases::Deviation> = match cases::deviation_tables() {
        Ok(tables) => tables
            .into_iter()
            .flat_map(|t| t.content.deviation)
            .collect(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
    };
    for d in &deviations {
        if !scenarios.iter().any(|s| s.name == d.scenario) {
            eprintln!(
                "error: browser-deviations: no scenario is named {:?}",
                d.scenario
            );
            return ExitCode::from(3);
        }
    }
    if let Some(f) = &args.filter {
        scenarios
            .retain(|s| s.name.contains(f.as_str()) || s.page.contains(f.as_str()) || s.id == *f);
    }
    if args.list {
        for s in &scenarios {
            println!("{}\t{}\t{}\t{}", s.id, s.page, s.name, s.calls.len());
        }
        for (case, why) in &skipped {
            println!("skipped\t{case}\t{why}");
        }
        println!(
            "{} scenarios ({} decision cases not a page's request)",
            scenarios.len(),
            skipped.len()
        );
        return ExitCode::SUCCESS;
    }

    let Some(binary) = chromium::find(args.chromium.as_deref()) else {
        eprintln!("error: Chromium not found (no `chromium` on PATH; give --chromium PATH): the browser suite cannot run");
        return ExitCode::from(2);
    };
    let version = match chromium::version(&binary) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let pinned_file = run::pinned_version_file();
    let pinned = run::pinned_version(&pinned_file);
    let number = chromium::version_number(&version).to_string();
    println!("chromium: {version}");
    match &pinned {
        Some(p) if *p == number => println!("chromium: the pinned version ({p})"),
        Some(p) => println!(
            "\n!!! CHROMIUM VERSION CHANGED: running {number}, the deviations were recorded with {p} ({}).\n!!! Differences may come from the new version: review them, then update the pin.\n",
            pinned_file.display()
        ),
        None => println!(
            "\n!!! NO PINNED CHROMIUM VERSION: {} is missing or empty.\n",
            pinned_file.display()
        ),
    }

    let scratch = std::env::temp_dir().join(format!("corsmatch-browser-{}", std::process::id()));
    let settings = Settings {
        chromium: binary,
        scratch: scratch.clone(),
        profile: args.profile,
    };
    let started = Instant::now();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
    };
    let result = runtime.block_on(run::run(&settings, &scenarios, &deviations));
    let _ = std::fs::remove_dir_all(&scratch);
    let verdicts = match result {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: Chromium could not run the suite: {e}");
            return ExitCode::from(2);
        }
    };

    let mut agree = 0;
    let mut known = 0;
    let mut disagree = 0;
    for v in &verdicts {
        print_verdict(v);
        if v.differences.is_empty() {
            agree += 1;
        } else if v.known_only() {
            known += 1;
        } else {
            disagree += 1;
        }
    }
    if let Some(path) = &args.json {
        let value = serde_json::json!({
            "chromium": version,
            "pinned": pinned,
            "seconds": started.elapsed().as_secs_f64(),
            "verdicts": verdicts,
        });
        if let Err(e) = std::fs::write(
            path,
            serde_json::to_string_pretty(&value).unwrap_or_default(),
        ) {
            eprintln!("error: {}: {e}", path.display());
        }
    }
    println!("time: {:.1} s", started.elapsed().as_secs_f64());
    if pinned.as_deref() != Some(number.as_str()) {
        println!(
            "!!! Chromium {number} is not the pinned version ({})",
            pinned.as_deref().unwrap_or("none")
        );
    }
    println!(
        "{} scenarios, {agree} agree, {known} known deviations, {disagree} disagree",
        verdicts.len()
    );
    if disagree > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_verdict(v: &Verdict) {
    for (d, known) in &v.differences {
        let call = d.call.map(|c| format!(" call {c}")).unwrap_or_default();
        let tag = if known.is_some() { "known" } else { "DISAGREE" };
        println!(
            "{tag} [{}] {} ({}){call}: {}: model {} / chromium {}",
            v.id, v.name, v.page, d.field, d.predicted, d.observed
        );
    }
}
