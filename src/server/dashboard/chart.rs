//! Daily charts drawn as SVG on the server, by hand: a bar or line per day takes a few dozen
//! lines, where a plotting crate would add compile time and draw with fixed colours. The
//! drawing uses the page's CSS classes, so it follows the light and dark themes, and it carries
//! a title and a description for screen readers.

use std::fmt::Write;

const WIDTH: i64 = 640;
const HEIGHT: i64 = 200;
/// Room for the value labels on the left and the dates below.
const LEFT: i64 = 72;
const RIGHT: i64 = 8;
const TOP: i64 = 10;
const BOTTOM: i64 = 24;
const GRID_LINES: i64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Bars,
    Line,
}

/// One value per day, oldest first, from `first_day` (days since the Unix epoch).
pub struct DailySeries<'a> {
    /// Unique on the page: the SVG's title and description are referred to by it.
    pub id: &'a str,
    pub title: &'a str,
    /// What a reader of the chart would take from it, for those who cannot see it.
    pub description: &'a str,
    pub first_day: i64,
    pub values: &'a [i64],
    pub shape: Shape,
    /// How a value reads on the axis and in each day's tooltip.
    pub label: &'a dyn Fn(i64) -> String,
}

pub fn draw(series: &DailySeries) -> String {
    let DailySeries { id, title, description, first_day, values, shape, label } = *series;
    let top = values.iter().copied().max().unwrap_or(0).max(0);
    let step = nice_step(top, GRID_LINES);
    let ceiling = step.saturating_mul(GRID_LINES);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (plot_w / i64::try_from(values.len()).unwrap_or(i64::MAX).max(1)).max(1);
    // Whole pixels, in integers: a value becomes a height without passing through a float.
    let y_of = |v: i64| TOP + plot_h - i64::try_from(i128::from(plot_h) * i128::from(v.clamp(0, ceiling)) / i128::from(ceiling)).unwrap_or(plot_h);
    let x_of = |i: usize| LEFT + slot * i64::try_from(i).unwrap_or(0);

    let mut svg = String::with_capacity(8 * 1024);
    let _ = write!(
        svg,
        r#"<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(description)
    );
    for line in 0..=GRID_LINES {
        let value = step.saturating_mul(line);
        let y = y_of(value);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}"/><text class="axis" x="{}" y="{}" text-anchor="end">{}</text>"#,
            LEFT + slot * i64::try_from(values.len()).unwrap_or(0),
            LEFT - 6,
            y + 4,
            escape(&label(value))
        );
    }
    for (i, day) in (0..values.len()).step_by(values.len().div_ceil(6).max(1)).map(|i| (i, first_day + i as i64)) {
        let _ = write!(svg, r#"<text class="axis" x="{}" y="{}">{}</text>"#, x_of(i), HEIGHT - 6, escape(&month_day(day)));
    }
    match shape {
        Shape::Bars => {
            for (i, &v) in values.iter().enumerate() {
                let (x, y) = (x_of(i) + 1, y_of(v));
                let _ = write!(
                    svg,
                    r#"<rect class="bar" x="{x}" y="{y}" width="{}" height="{}"><title>{}: {}</title></rect>"#,
                    (slot - 2).max(1),
                    y_of(0) - y,
                    date(first_day + i as i64),
                    escape(&label(v))
                );
            }
        }
        Shape::Line => {
            let points: Vec<String> = values.iter().enumerate().map(|(i, &v)| format!("{},{}", x_of(i) + slot / 2, y_of(v))).collect();
            let _ = write!(svg, r#"<polyline class="line" points="{}"/>"#, points.join(" "));
            for (i, &v) in values.iter().enumerate() {
                let _ = write!(
                    svg,
                    r#"<circle class="point" cx="{}" cy="{}" r="2"><title>{}: {}</title></circle>"#,
                    x_of(i) + slot / 2,
                    y_of(v),
                    date(first_day + i as i64),
                    escape(&label(v))
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The smallest of 1, 2 or 5 times a power of ten that fits `top` in `lines` steps.
fn nice_step(top: i64, lines: i64) -> i64 {
    let raw = (top.max(1) - 1) / lines + 1;
    let mut magnitude: i64 = 1;
    while magnitude.checked_mul(10).is_some_and(|m| m <= raw) {
        magnitude *= 10;
    }
    [1, 2, 5, 10].iter().map(|m| m * magnitude).find(|step| *step >= raw).unwrap_or(raw)
}

/// `YYYY-MM-DD` of a day counted from the Unix epoch.
pub fn date(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * 86_400).map_or_else(|_| day.to_string(), |t| t.date().to_string())
}

fn month_day(day: i64) -> String {
    date(day).get(5..).unwrap_or_default().to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_fit_the_top() {
        assert_eq!(nice_step(0, 4), 1);
        assert_eq!(nice_step(4, 4), 1);
        assert_eq!(nice_step(9, 4), 5);
        assert_eq!(nice_step(12_345, 4), 5_000);
        assert_eq!(nice_step(80_000, 4), 20_000);
        assert_eq!(nice_step(i64::MAX, 4), 5_000_000_000_000_000_000);
    }

    #[test]
    fn a_chart_names_itself_and_escapes_its_text() {
        let label = |v: i64| format!("{v} <x>");
        let svg = draw(&DailySeries {
            id: "c1",
            title: "Cases & runs",
            description: "none",
            first_day: 20_000,
            values: &[0, 3, 1],
            shape: Shape::Line,
            label: &label,
        });
        assert!(svg.starts_with(r#"<svg class="chart-svg""#) && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-labelledby="c1-title c1-desc""#));
        assert!(svg.contains("<title id=\"c1-title\">Cases &amp; runs</title>"));
        assert!(svg.contains("<title>2024-10-05: 3 &lt;x&gt;</title>"), "{svg}");
        assert!(!svg.contains("<x>"));
    }

    #[test]
    fn the_tallest_bar_reaches_no_higher_than_the_top_line() {
        let label = |v: i64| v.to_string();
        let svg = draw(&DailySeries { id: "b", title: "t", description: "d", first_day: 0, values: &[7, 0], shape: Shape::Bars, label: &label });
        // top 7 → step 2 → ceiling 8: the bar is 7/8 of the plot's height.
        let plot_h = HEIGHT - TOP - BOTTOM;
        assert!(svg.contains(&format!(r#"height="{}""#, plot_h * 7 / 8)), "{svg}");
        assert!(svg.contains("1970-01-01: 7"));
    }
}
