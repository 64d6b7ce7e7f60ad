//! SVG charts rendered by the server (no JavaScript): bars of each secret's age against
//! its rotation interval, and a line of findings over time. Every label is escaped here,
//! since the markup is inserted into pages as it is.

use std::fmt::Write;

/// Escape text for SVG/HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One secret's bar: its age and its rotation interval, in days.
#[derive(Clone, Debug, PartialEq)]
pub struct AgeBar {
    /// Label (the secret's name).
    pub label: String,
    /// Days since the last rotation (or creation).
    pub age_days: f64,
    /// The policy's interval in days (`None`: rotated on incident only).
    pub interval_days: Option<f64>,
}

const BAR_H: u32 = 18;
const LABEL_W: u32 = 220;
const PLOT_W: u32 = 400;

/// Horizontal bars: each secret's age, with a tick at its interval; a bar past its tick is
/// drawn in the `overdue` class (red in the stylesheet).
pub fn age_bars(bars: &[AgeBar]) -> String {
    let max = bars
        .iter()
        .map(|b| b.age_days.max(b.interval_days.unwrap_or(0.0)))
        .fold(1.0_f64, f64::max);
    let scale = f64::from(PLOT_W) / max;
    let h = BAR_H * bars.len() as u32 + 24;
    let w = LABEL_W + PLOT_W + 60;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="secret age against rotation interval">"#
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as u32 * BAR_H + 4;
        let overdue = b.interval_days.is_some_and(|iv| b.age_days > iv);
        let len = (b.age_days.max(0.0) * scale).round();
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" class="label">{}</text><rect x="{LABEL_W}" y="{y}" width="{len}" height="{}" class="{}"><title>{}: {:.0} days</title></rect>"#,
            LABEL_W - 6,
            y + BAR_H - 6,
            esc(&b.label),
            BAR_H - 4,
            if overdue { "bar overdue" } else { "bar" },
            esc(&b.label),
            b.age_days
        );
        if let Some(iv) = b.interval_days {
            let x = f64::from(LABEL_W) + (iv * scale).round();
            let _ = write!(
                out,
                r#"<line x1="{x}" x2="{x}" y1="{}" y2="{}" class="interval"/>"#,
                y,
                y + BAR_H - 4
            );
        }
    }
    let _ = write!(
        out,
        r#"<text x="{LABEL_W}" y="{}" class="axis">0</text><text x="{}" y="{}" text-anchor="end" class="axis">{:.0} days</text></svg>"#,
        h - 4,
        LABEL_W + PLOT_W,
        h - 4,
        max
    );
    out
}

/// One series of a line chart: a label and `(x, y)` points with `x` in any increasing unit
/// (seconds since the epoch).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Points, in increasing `x`.
    pub points: Vec<(f64, f64)>,
}

/// A line chart of several series on shared axes (findings over time per report kind).
pub fn lines(series: &[Series], width: u32, height: u32) -> String {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = all().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let ymax = all().map(|p| p.1).fold(1.0_f64, f64::max);
    let (pad, legend) = (30.0, 16 * series.len() as u32);
    let (pw, ph) = (f64::from(width) - 2.0 * pad, f64::from(height) - 2.0 * pad);
    let total_h = height + legend;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{total_h}" viewBox="0 0 {width} {total_h}" role="img" aria-label="findings over time">"#
    );
    let _ = write!(
        out,
        r#"<line x1="{pad}" y1="{}" x2="{}" y2="{}" class="axis"/><text x="4" y="{}" class="axis">{ymax:.0}</text>"#,
        pad + ph,
        pad + pw,
        pad + ph,
        pad + 4.0
    );
    let span = if x1 > x0 { x1 - x0 } else { 1.0 };
    for (i, s) in series.iter().enumerate() {
        let pts: Vec<String> = s
            .points
            .iter()
            .map(|(x, y)| {
                let px = if s.points.len() == 1 && x1 <= x0 {
                    pad + pw / 2.0
                } else {
                    pad + (x - x0) / span * pw
                };
                format!("{:.1},{:.1}", px, pad + ph - y / ymax * ph)
            })
            .collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" class="series s{}"/>"#,
            pts.join(" "),
            i % 6
        );
        for p in &pts {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                out,
                r#"<circle cx="{x}" cy="{y}" r="3" class="dot s{}"/>"#,
                i % 6
            );
        }
        let _ = write!(
            out,
            r#"<text x="{pad}" y="{}" class="legend s{}">{}</text>"#,
            height + 16 * i as u32 + 4,
            i % 6,
            esc(&s.label)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overdue_bar_is_marked_and_labels_are_escaped() {
        let svg = age_bars(&[
            AgeBar {
                label: "production/<script>".into(),
                age_days: 120.0,
                interval_days: Some(90.0),
            },
            AgeBar {
                label: "production/DB".into(),
                age_days: 10.0,
                interval_days: Some(90.0),
            },
            AgeBar {
                label: "production/STRIPE".into(),
                age_days: 5.0,
                interval_days: None,
            },
        ]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("bar overdue").count(), 1);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert_eq!(svg.matches(r#"class="interval""#).count(), 2);
        assert!(svg.contains("production/&lt;script&gt;") && !svg.contains("<script>"));
        // The longest bar (120 days) spans the whole plot width.
        assert!(
            svg.contains(r#"width="400" height="14" class="bar overdue""#),
            "{svg}"
        );
    }

    #[test]
    fn lines_scale_points_into_the_plot() {
        let svg = lines(
            &[
                Series {
                    label: "scan".into(),
                    points: vec![(0.0, 0.0), (10.0, 4.0)],
                },
                Series {
                    label: "deps & co".into(),
                    points: vec![(5.0, 2.0)],
                },
            ],
            300,
            160,
        );
        // First point bottom-left of the plot, last top-right.
        assert!(svg.contains(r#"points="30.0,130.0 270.0,30.0""#), "{svg}");
        assert!(svg.contains(r#"points="150.0,80.0""#), "{svg}");
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("deps &amp; co"));
        assert!(lines(&[], 100, 100).ends_with("</svg>"));
    }
}
