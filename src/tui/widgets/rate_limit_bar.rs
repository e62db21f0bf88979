//! The rate-limit bar, always on screen: each bucket as remaining/limit with a gauge and a reset
//! countdown, green above 20%, yellow at or below 20%, red at or below 5% (a `!` says it without
//! colour). It shrinks step by step to fit narrow terminals but never disappears.

use chrono::{DateTime, Utc};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{countdown, line_width};
use crate::fmt::thousands;
use crate::domain::RateBucket;
use crate::tui::theme::Theme;

/// A gauge of `cells` cells (plus end caps) filled to `fraction`, with eighth-cell precision.
pub fn gauge(theme: &Theme, fraction: f64, cells: usize, style: Style) -> Vec<Span<'static>> {
    let g = &theme.glyphs;
    let eighths = (fraction.clamp(0.0, 1.0) * (cells * 8) as f64).round() as usize;
    let full = eighths / 8;
    let part = eighths % 8;
    let mut fill = g.bar_full.repeat(full);
    let mut used = full;
    if part > 0 && used < cells {
        fill.push_str(g.bar_eighths[part]);
        used += 1;
    }
    let empty = g.bar_empty.repeat(cells.saturating_sub(used));
    vec![
        Span::styled(g.bar_left, theme.gauge_empty),
        Span::styled(fill, style),
        Span::styled(empty, theme.gauge_empty),
        Span::styled(g.bar_right, theme.gauge_empty),
    ]
}

/// Short label of a bucket for the bar.
pub fn short_name(name: &str) -> &str {
    match name {
        "graphql" => "gql",
        other => other,
    }
}

/// `!` when at or below 20%, `!!` at or below 5%: the threshold without colour.
pub fn low_mark(fraction: f64) -> &'static str {
    if fraction <= 0.05 {
        "!!"
    } else if fraction <= 0.20 {
        "!"
    } else {
        ""
    }
}

/// The bar for the header, the richest variant that fits in `max` columns.
pub fn bar(theme: &Theme, buckets: &[RateBucket], now: DateTime<Utc>, max: usize) -> Line<'static> {
    if buckets.is_empty() {
        let l = Line::from(Span::styled("rate: not known yet", theme.dim));
        return if line_width(&l) <= max {
            l
        } else {
            Line::from(Span::styled("rate ?", theme.dim))
        };
    }
    let core = buckets
        .iter()
        .find(|b| b.name == "core")
        .unwrap_or(&buckets[0]);
    let others: Vec<&RateBucket> = buckets.iter().filter(|b| b.name != core.name).collect();
    let variants: [(usize, usize, bool, bool); 6] = [
        // (gauge cells, other buckets shown, show limit, show reset)
        (10, 2, true, true),
        (6, 2, true, true),
        (6, 1, true, true),
        (0, 1, true, true),
        (0, 0, true, true),
        (0, 0, false, true),
    ];
    for (cells, n_others, limit, reset) in variants {
        let line = render(
            theme,
            core,
            &others[..n_others.min(others.len())],
            now,
            cells,
            limit,
            reset,
        );
        if line_width(&line) <= max {
            return line;
        }
    }
    // Last resort: the percentage of core.
    let f = core.fraction();
    let style = theme.rate_style(f);
    let l = Line::from(Span::styled(
        format!("{}{:.0}%", low_mark(f), f * 100.0),
        style,
    ));
    if line_width(&l) <= max {
        l
    } else {
        Line::default()
    }
}

fn render(
    theme: &Theme,
    core: &RateBucket,
    others: &[&RateBucket],
    now: DateTime<Utc>,
    cells: usize,
    limit: bool,
    reset: bool,
) -> Line<'static> {
    let f = core.fraction();
    let style = theme.rate_style(f);
    let mut spans = vec![Span::styled(
        format!("{} ", short_name(&core.name)),
        theme.dim,
    )];
    let nums = if limit {
        format!(
            "{}{}/{}",
            low_mark(f),
            thousands(core.remaining),
            thousands(core.limit)
        )
    } else {
        format!("{}{}", low_mark(f), thousands(core.remaining))
    };
    spans.push(Span::styled(nums, style));
    if cells > 0 {
        spans.push(Span::raw(" "));
        spans.extend(gauge(theme, f, cells, style));
    }
    if reset {
        spans.push(Span::styled(
            format!(" {}", countdown(core.reset, now)),
            theme.dim,
        ));
    }
    for b in others {
        let f = b.fraction();
        spans.push(Span::styled(
            format!("  {} ", short_name(&b.name)),
            theme.dim,
        ));
        spans.push(Span::styled(
            format!("{}{}", low_mark(f), thousands(b.remaining)),
            theme.rate_style(f),
        ));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(name: &str, remaining: u64, limit: u64) -> RateBucket {
        RateBucket {
            name: name.into(),
            limit,
            remaining,
            used: limit - remaining,
            reset: Utc::now(),
        }
    }

    #[test]
    fn gauge_fills_by_eighths() {
        let t = Theme::new("default", false, false);
        let text = |f: f64| {
            gauge(&t, f, 4, Style::default())
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(text(1.0), "▕████▏");
        assert_eq!(text(0.0), "▕    ▏");
        assert_eq!(text(0.5), "▕██  ▏");
        assert_eq!(text(0.5 + 1.0 / 32.0), "▕██▏ ▏");
    }

    #[test]
    fn bar_shrinks_to_fit() {
        let t = Theme::new("default", false, false);
        let b = vec![
            bucket("core", 4812, 5000),
            bucket("graphql", 4990, 5000),
            bucket("search", 30, 30),
        ];
        let now = Utc::now();
        let wide = bar(&t, &b, now, 200);
        let text: String = wide.spans.iter().map(|s| s.content.to_string()).collect();
        assert!(text.starts_with("core 4,812/5,000 ▕"), "{text}");
        assert!(
            text.contains("gql 4,990") && text.contains("search 30"),
            "{text}"
        );
        for max in [60, 40, 25, 16, 12, 5, 0] {
            assert!(line_width(&bar(&t, &b, now, max)) <= max, "{max}");
        }
        assert_eq!(low_mark(0.2), "!");
        assert_eq!(low_mark(0.05), "!!");
        assert_eq!(low_mark(0.21), "");
    }
}
