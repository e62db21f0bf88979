//! Every `Style` and glyph the TUI draws with, in one place: the built-in themes ("default",
//! "light", "mono"), `NO_COLOR` (modifiers only, never colour) and `ui.ascii` (plain ASCII glyphs).
//! Colour is never the only carrier of meaning: every coloured state also has a glyph or a word.

use ratatui::style::{Color, Modifier, Style};

/// The styles of one theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub base: Style,
    pub header: Style,
    pub title: Style,
    pub dim: Style,
    pub selected: Style,
    pub marked: Style,
    pub unread: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub accent: Style,
    pub tab_active: Style,
    pub tab: Style,
    pub key: Style,
    pub key_remapped: Style,
    pub pause: Style,
    pub dialog: Style,
    pub input: Style,
    pub gauge_empty: Style,
    pub glyphs: Glyphs,
}

/// Glyphs: Unicode that needs no Nerd Font by default, ASCII with `ui.ascii = true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    pub synced: &'static str,
    pub syncing: &'static str,
    pub queued: &'static str,
    pub waiting: &'static str,
    pub failed: &'static str,
    pub never: &'static str,
    pub stale: &'static str,
    pub unread: &'static str,
    pub mark: &'static str,
    pub star: &'static str,
    pub fork: &'static str,
    pub dot: &'static str,
    /// One column, ends a cut text.
    pub ellipsis: &'static str,
    /// Ends "Loading" and other texts in progress.
    pub more: &'static str,
    pub dash: &'static str,
    pub arrow_down: &'static str,
    pub arrow_up: &'static str,
    pub bar_left: &'static str,
    pub bar_right: &'static str,
    /// Full block, then eighths from 7/8 down to 1/8 (ASCII: '#' and '=' / ' ').
    pub bar_full: &'static str,
    pub bar_eighths: [&'static str; 8],
    pub bar_empty: &'static str,
    pub spark: [&'static str; 8],
}

pub const UNICODE: Glyphs = Glyphs {
    synced: "●",
    syncing: "◐",
    queued: "◔",
    waiting: "⏸",
    failed: "✖",
    never: "◌",
    stale: "!",
    unread: "•",
    mark: "▌",
    star: "★",
    fork: "⑂",
    dot: "·",
    ellipsis: "…",
    more: "…",
    dash: "—",
    arrow_down: "↓",
    arrow_up: "↑",
    bar_left: "▕",
    bar_right: "▏",
    bar_full: "█",
    bar_eighths: [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"],
    bar_empty: " ",
    spark: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
};

pub const ASCII: Glyphs = Glyphs {
    synced: "*",
    syncing: "~",
    queued: "+",
    waiting: "=",
    failed: "x",
    never: ".",
    stale: "!",
    unread: "*",
    mark: ">",
    star: "*",
    fork: "Y",
    dot: "-",
    ellipsis: "~",
    more: "...",
    dash: "-",
    arrow_down: "v",
    arrow_up: "^",
    bar_left: "[",
    bar_right: "]",
    bar_full: "#",
    bar_eighths: [" ", " ", " ", " ", "=", "=", "=", "="],
    bar_empty: ".",
    spark: ["_", "_", ".", ".", "-", "-", "^", "^"],
};

impl Theme {
    /// Builds a theme by name (unknown names fall back to "default"); `no_color` strips every
    /// colour and keeps only modifiers; `ascii` swaps the glyphs.
    pub fn new(name: &str, no_color: bool, ascii: bool) -> Self {
        let glyphs = if ascii { ASCII } else { UNICODE };
        let mut theme = match name {
            "light" => Self::light(),
            "mono" => Self::mono(),
            _ => Self::default_dark(),
        };
        theme.glyphs = glyphs;
        if no_color {
            theme = theme.without_colour();
        }
        theme
    }

    /// Reads `NO_COLOR` the way no-color.org says: present and not empty.
    pub fn no_color_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    fn default_dark() -> Self {
        let s = Style::default();
        Theme {
            name: "default".into(),
            base: s,
            header: s.add_modifier(Modifier::BOLD),
            title: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            dim: s.fg(Color::DarkGray),
            selected: s.add_modifier(Modifier::REVERSED),
            marked: s.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            unread: s.add_modifier(Modifier::BOLD),
            ok: s.fg(Color::Green),
            warn: s.fg(Color::Yellow),
            error: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            accent: s.fg(Color::Cyan),
            tab_active: s
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
            tab: s,
            key: s.fg(Color::Cyan),
            key_remapped: s
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            pause: s
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            dialog: s,
            input: s.add_modifier(Modifier::UNDERLINED),
            gauge_empty: s.fg(Color::DarkGray),
            glyphs: UNICODE,
        }
    }

    fn light() -> Self {
        let s = Style::default();
        Theme {
            name: "light".into(),
            title: s.fg(Color::Blue).add_modifier(Modifier::BOLD),
            dim: s.fg(Color::Gray),
            ok: s.fg(Color::Rgb(0, 120, 0)),
            warn: s.fg(Color::Rgb(150, 100, 0)),
            error: s.fg(Color::Rgb(170, 0, 0)).add_modifier(Modifier::BOLD),
            accent: s.fg(Color::Blue),
            marked: s.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            tab_active: s
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
            key: s.fg(Color::Blue),
            key_remapped: s
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            pause: s
                .fg(Color::White)
                .bg(Color::Rgb(150, 100, 0))
                .add_modifier(Modifier::BOLD),
            ..Self::default_dark()
        }
    }

    fn mono() -> Self {
        Self::default_dark().without_colour().renamed("mono")
    }

    fn renamed(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    fn without_colour(self) -> Self {
        fn strip(s: Style) -> Style {
            Style {
                fg: None,
                bg: None,
                underline_color: None,
                ..s
            }
        }
        let bold = Style::default().add_modifier(Modifier::BOLD);
        Theme {
            base: strip(self.base),
            header: strip(self.header),
            title: strip(self.title),
            dim: strip(self.dim),
            selected: strip(self.selected),
            marked: strip(self.marked),
            unread: strip(self.unread),
            ok: strip(self.ok),
            warn: bold,
            error: strip(self.error),
            accent: strip(self.accent),
            tab_active: strip(self.tab_active),
            tab: strip(self.tab),
            key: strip(self.key),
            key_remapped: strip(self.key_remapped),
            pause: Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            dialog: strip(self.dialog),
            input: strip(self.input),
            gauge_empty: strip(self.gauge_empty),
            ..self
        }
    }

    /// Style of a rate bucket by how much is left: above 20% ok, at or below 20% warn, at or below 5% error.
    pub fn rate_style(&self, fraction: f64) -> Style {
        if fraction <= 0.05 {
            self.error
        } else if fraction <= 0.20 {
            self.warn
        } else {
            self.ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_strips_every_colour() {
        for name in ["default", "light", "mono"] {
            let t = Theme::new(name, true, false);
            for s in [
                t.ok,
                t.warn,
                t.error,
                t.title,
                t.pause,
                t.selected,
                t.key,
                t.tab_active,
            ] {
                assert_eq!((s.fg, s.bg), (None, None), "{name}");
            }
        }
        assert_eq!(
            Theme::new("default", false, false).ok.fg,
            Some(Color::Green)
        );
    }

    #[test]
    fn ascii_glyphs_are_ascii() {
        let g = Theme::new("default", false, true).glyphs;
        for s in [
            g.synced, g.syncing, g.waiting, g.failed, g.never, g.star, g.bar_full, g.bar_left,
        ] {
            assert!(s.is_ascii(), "{s}");
        }
        assert!(
            g.bar_eighths
                .iter()
                .chain(g.spark.iter())
                .all(|s| s.is_ascii())
        );
    }

    #[test]
    fn rate_thresholds() {
        let t = Theme::new("default", false, false);
        assert_eq!(t.rate_style(0.21), t.ok);
        assert_eq!(t.rate_style(0.20), t.warn);
        assert_eq!(t.rate_style(0.06), t.warn);
        assert_eq!(t.rate_style(0.05), t.error);
        assert_eq!(t.rate_style(0.0), t.error);
    }
}
