//! The picture of a `dragbench --compare` run, an SVG written next to its
//! JSON: on the left the focused view's p99 latency against the number of
//! rooms (every find-max step of every target), on the right each server's
//! CPU per 1,000 moves at the load given.

use std::path::Path;

use plotters::prelude::*;

use crate::compare::Compared;
use crate::link::Target;
use crate::report::MAX_P99_MS;

const SIZE: (u32, u32) = (1200, 520);

/// A colour per target, the same in every run.
fn colour(target: Target) -> RGBColor {
    const PALETTE: [RGBColor; 6] = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0x7f, 0x7f, 0x7f),
    ];
    PALETTE[Target::ALL.iter().position(|&t| t == target).unwrap_or(0) % PALETTE.len()]
}

/// Draws the run into `path` (SVG); `caption` names the run.
pub fn write(path: &Path, caption: &str, results: &[Compared]) -> Result<(), String> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    draw(&root, caption, results).map_err(|e| format!("plot {}: {e}", path.display()))?;
    root.present().map_err(|e| format!("plot {}: {e}", path.display()))
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Failed = Box<dyn std::error::Error>;

fn draw(root: &Area, caption: &str, results: &[Compared]) -> Result<(), Failed> {
    root.fill(&WHITE)?;
    let root = root.titled(caption, ("sans-serif", 18))?;
    let (left, right) = root.split_horizontally(SIZE.0 * 11 / 20);
    latency(&left, results)?;
    cpu(&right, results)?;
    Ok(())
}

fn latency(area: &Area, results: &[Compared]) -> Result<(), Failed> {
    let rooms = results.iter().flat_map(|c| c.steps.iter().map(|s| s.rooms)).max().unwrap_or(1).max(1) as f64;
    let p99 = results.iter().flat_map(|c| c.steps.iter().map(|s| s.latency.p99)).fold(MAX_P99_MS, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption("p99 latency (focused board) by rooms, find-max steps", ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..rooms * 1.05, 0.0..p99 * 1.1)?;
    chart.configure_mesh().x_desc("rooms").y_desc("p99 ms").draw()?;
    chart
        .draw_series(LineSeries::new([(0.0, MAX_P99_MS), (rooms * 1.05, MAX_P99_MS)], BLACK.mix(0.3)))?
        .label(format!("held: p99 <= {MAX_P99_MS} ms"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.mix(0.3)));
    for c in results {
        let mut steps: Vec<(f64, f64)> = c.steps.iter().map(|s| (s.rooms as f64, s.latency.p99)).collect();
        steps.sort_by(|a, b| a.0.total_cmp(&b.0));
        let style = colour(c.target).stroke_width(2);
        chart
            .draw_series(LineSeries::new(steps.clone(), style))?
            .label(c.target.name())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
        chart.draw_series(steps.into_iter().map(|p| Circle::new(p, 3, colour(c.target).filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn cpu(area: &Area, results: &[Compared]) -> Result<(), Failed> {
    let bars: Vec<(usize, f64)> =
        results.iter().enumerate().map(|(i, c)| (i, c.load.cpu_ms_per_1000_moves.unwrap_or(0.0))).collect();
    let top = bars.iter().map(|b| b.1).fold(1.0, f64::max);
    let names: Vec<&str> = results.iter().map(|c| c.target.name()).collect();
    let rooms = results.first().map_or(0, |c| c.load.rooms);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("server CPU per 1,000 moves at {rooms} rooms"), ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(-0.5..(results.len() as f64 - 0.5), 0.0..top * 1.15)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(results.len() + 1)
        .x_label_style(("sans-serif", 11))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 0.01 && i >= 0.0 {
                names.get(i as usize).copied().unwrap_or("").to_owned()
            } else {
                String::new()
            }
        })
        .y_desc("ms of server CPU")
        .draw()?;
    chart.draw_series(bars.iter().map(|&(i, v)| {
        Rectangle::new([(i as f64 - 0.35, 0.0), (i as f64 + 0.35, v)], colour(results[i].target).filled())
    }))?;
    chart.draw_series(
        bars.iter().map(|&(i, v)| Text::new(format!("{v:.1}"), (i as f64 - 0.2, v + top * 0.03), ("sans-serif", 13))),
    )?;
    Ok(())
}
