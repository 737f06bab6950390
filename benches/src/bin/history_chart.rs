//! `history_chart`: draws the performance history `benches/history.jsonl` as one SVG,
//! `benches/history.svg` (embedded in benches/RESULTS.md, "Performance history"): a panel per group
//! of gated benches with each bench's instruction count per entry, and a panel of the
//! `corsmatch bench` wall time where entries have it. The x axis is the entries in file order,
//! labelled by short commit (`+`: measured with uncommitted changes); the y axes are logarithmic, so
//! that a bench of 800 instructions and one of 80 000 share a panel and equal ratios look equal.
//!
//! ```text
//! history_chart [--history FILE] [--out FILE]
//! ```
//!
//! `benches/icount.sh update` and `benches/history.sh record` run it after writing the history;
//! `benches/history.sh render` runs it alone. The output depends only on the history, so a
//! regenerated chart differs from the committed one only when the history does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use corsmatch_benches::history;
use plotters::coord::combinators::WithKeyPoints;
use plotters::prelude::*;
use serde_json::Value;

/// The help text.
const USAGE: &str = "usage: history_chart [--history FILE] [--out FILE]

  --history FILE  the history (default: benches/history.jsonl)
  --out FILE      the SVG to write (default: benches/history.svg)";

/// One line of a panel: a name and its value per entry (`None` where the entry lacks it).
struct Series {
    name: String,
    values: Vec<Option<f64>>,
}

/// One panel: a title, a y-axis description and its series.
struct Panel {
    title: &'static str,
    unit: &'static str,
    series: Vec<Series>,
}

/// Which panel a gated bench goes to: the 64-lookup batches and their floors, the single preflight
/// decisions, everything else (the tower layers and their floors).
fn panel_of(id: &str) -> usize {
    if id.starts_with("matches/") || (id.starts_with("floor/") && id != "floor/preflight") {
        0
    } else if id.starts_with("preflight/") {
        1
    } else {
        2
    }
}

/// The panels of `entries`.
fn panels(entries: &[Value]) -> Result<Vec<Panel>, String> {
    let mut panels = vec![
        Panel {
            title: "OriginMatcher::matches, 64 lookups (matches/*), and the ahash floor (floor/*)",
            unit: "instructions (Ir)",
            series: Vec::new(),
        },
        Panel {
            title: "Policy::evaluate, one preflight and its response headers (preflight/*)",
            unit: "instructions (Ir)",
            series: Vec::new(),
        },
        Panel {
            title:
                "One request through the tower layers (corsmatch, tower-http 0.7 and 0.6, floors)",
            unit: "instructions (Ir)",
            series: Vec::new(),
        },
        Panel {
            title: "corsmatch bench, default trace (wall time: this machine's, noisy)",
            unit: "ns per request",
            series: Vec::new(),
        },
    ];
    let counts: Vec<_> = entries
        .iter()
        .map(history::ir_counts)
        .collect::<Result<_, _>>()?;
    let mut ids: Vec<&String> = counts.iter().flat_map(|c| c.keys()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        panels[panel_of(id)].series.push(Series {
            name: id.clone(),
            values: counts
                .iter()
                .map(|c| c.get(id).map(|&n| n as f64))
                .collect(),
        });
    }
    for (engine, name) in [
        ("corsmatch", "corsmatch"),
        ("http_adapter", "corsmatch + http adapter"),
        ("reference", "reference (naive)"),
    ] {
        let values: Vec<Option<f64>> = entries
            .iter()
            .map(|e| e["bench"]["engines"][engine]["ns_per_request"].as_f64())
            .collect();
        if values.iter().any(Option::is_some) {
            panels[3].series.push(Series {
                name: name.into(),
                values,
            });
        }
    }
    panels.retain(|p| !p.series.is_empty());
    Ok(panels)
}

/// The colour of the `i`th series of a panel.
fn color(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    COLORS[i % COLORS.len()]
}

/// `n` with a space every three digits, as the docs write counts.
fn grouped(n: f64) -> String {
    let digits = format!("{:.0}", n.round());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Panel height, legend width and other sizes, in pixels.
const WIDTH: u32 = 1200;
const PANEL_HEIGHT: u32 = 380;
const TITLE_HEIGHT: u32 = 50;
const LEGEND_WIDTH: u32 = 330;

/// A logarithmic axis from `lo` to `hi` with a label at every 1, 2 and 5 times a power of ten
/// inside it (plotters' own choice leaves the decades below 1 000 bare).
fn log_axis(lo: f64, hi: f64) -> WithKeyPoints<LogCoord<f64>> {
    let mut points = Vec::new();
    let mut decade = 10f64.powi(lo.max(1.0).log10().floor() as i32);
    while decade <= hi {
        for step in [1.0, 2.0, 5.0] {
            let y = decade * step;
            if (lo..=hi).contains(&y) {
                points.push(y);
            }
        }
        decade *= 10.0;
    }
    let axis: LogCoord<f64> = (lo..hi).log_scale().into();
    axis.with_key_points(points)
}

/// Draws `panels` over the entries labelled `labels` into the SVG at `out`.
fn draw(out: &Path, labels: &[String], panels: &[Panel]) -> Result<(), Box<dyn std::error::Error>> {
    let height = TITLE_HEIGHT + PANEL_HEIGHT * panels.len() as u32;
    let root = SVGBackend::new(out, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title, body) = root.split_vertically(TITLE_HEIGHT);
    title.draw(&Text::new(
        format!(
            "corsmatch performance history: {} entries of benches/history.jsonl, oldest first",
            labels.len()
        ),
        (20, 15),
        ("sans-serif", 20).into_font(),
    ))?;
    let n = labels.len();
    for (panel, area) in panels.iter().zip(body.split_evenly((panels.len(), 1))) {
        let (plot, legend) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
        let values = || panel.series.iter().flat_map(|s| s.values.iter().flatten());
        let lo = values().copied().fold(f64::INFINITY, f64::min);
        let hi = values().copied().fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(&plot)
            .caption(panel.title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), log_axis(lo * 0.8, hi * 1.25))?;
        let label_at = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            // At most a dozen labels, so that they do not overlap; plotters picks which entries.
            .x_labels(n.clamp(1, 12))
            .x_label_formatter(&label_at)
            .x_label_style(("monospace", 12))
            .y_label_formatter(&|y| grouped(*y))
            .y_desc(panel.unit)
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (i, series) in panel.series.iter().enumerate() {
            let style = color(i);
            // A line through consecutive entries that have the value; a gap where one lacks it.
            let mut run: Vec<(f64, f64)> = Vec::new();
            for (x, v) in series.values.iter().enumerate() {
                match v {
                    Some(v) => run.push((x as f64, *v)),
                    None => {
                        chart.draw_series(LineSeries::new(run.drain(..), style.stroke_width(2)))?;
                    }
                }
            }
            chart.draw_series(LineSeries::new(run, style.stroke_width(2)))?;
            chart.draw_series(
                series
                    .values
                    .iter()
                    .enumerate()
                    .filter_map(|(x, v)| v.map(|v| Circle::new((x as f64, v), 3, style.filled()))),
            )?;
        }
        // The legend beside the plot: each series with its latest value.
        let legend = legend.margin(30, 10, 10, 10);
        for (i, series) in panel.series.iter().enumerate() {
            let y = 14 * i as i32 + 8;
            let style = color(i);
            legend.draw(&PathElement::new(
                vec![(0, y), (18, y)],
                style.stroke_width(3),
            ))?;
            let last = series
                .values
                .iter()
                .rev()
                .flatten()
                .next()
                .map_or_else(String::new, |v| grouped(*v));
            legend.draw(&Text::new(
                format!("{}  {last}", series.name),
                (24, y - 6),
                ("sans-serif", 12).into_font(),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}

fn run() -> Result<(), String> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut history_path = manifest_dir.join("history.jsonl");
    let mut out = manifest_dir.join("history.svg");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("`{flag}` needs a value"))
        };
        match flag.as_str() {
            "--history" => history_path = value()?,
            "--out" => out = value()?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument `{flag}`\n\n{USAGE}")),
        }
    }
    let entries = history::read(&history_path)?;
    if entries.is_empty() {
        return Err(format!("{}: no entries to draw", history_path.display()));
    }
    let labels: Vec<String> = entries.iter().map(history::label).collect();
    let panels = panels(&entries)?;
    draw(&out, &labels, &panels).map_err(|e| format!("cannot draw {}: {e}", out.display()))?;
    println!(
        "wrote {} ({} entries, {} panels)",
        out.display(),
        entries.len(),
        panels.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("history_chart: error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benches_go_to_their_panels_and_gaps_stay_gaps() {
        assert_eq!(panel_of("matches/exact_hit"), 0);
        assert_eq!(panel_of("floor/wildcard_hit"), 0);
        assert_eq!(panel_of("preflight/allowed"), 1);
        assert_eq!(panel_of("floor/preflight"), 2);
        assert_eq!(panel_of("tower_http/actual"), 2);
        let entries = history::parse(concat!(
            r#"{"commit":"a","dirty":false,"ir":{"matches/exact_hit":10,"preflight/allowed":5}}"#,
            "\n",
            r#"{"commit":"b","dirty":false,"ir":{"matches/exact_hit":11,"layer/actual":3},"#,
            r#""bench":{"engines":{"corsmatch":{"ns_per_request":140.5}}}}"#,
        ))
        .unwrap();
        let panels = panels(&entries).unwrap();
        assert_eq!(panels.len(), 4);
        assert_eq!(panels[0].series[0].values, [Some(10.0), Some(11.0)]);
        assert_eq!(panels[1].series[0].values, [Some(5.0), None]);
        assert_eq!(panels[2].series[0].name, "layer/actual");
        assert_eq!(panels[3].series.len(), 1);
        assert_eq!(panels[3].series[0].values, [None, Some(140.5)]);
        assert_eq!(grouped(1234567.0), "1 234 567");
    }

    #[test]
    fn draws_an_svg() {
        let entries = history::parse(concat!(
            r#"{"commit":"aaaaaaa1","dirty":false,"ir":{"matches/exact_hit":10309}}"#,
            "\n",
            r#"{"commit":"bbbbbbb2","dirty":true,"ir":{"matches/exact_hit":9000}}"#,
        ))
        .unwrap();
        let out = std::env::temp_dir().join(format!("history-chart-{}.svg", std::process::id()));
        let labels: Vec<String> = entries.iter().map(history::label).collect();
        draw(&out, &labels, &panels(&entries).unwrap()).unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        assert!(svg.contains("bbbbbbb+"));
        assert!(svg.contains("matches/exact_hit  9 000"));
    }
}
