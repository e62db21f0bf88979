//! Every `Style` and glyph the TUI draws with, in one place: the built-in themes ("default",
//! "light", "mono"), `NO_COLOR` (modifiers only, never colour) and `ui.ascii` (plain ASCII glyphs).
//! Colour is never the only carrier of meaning: every coloured state also has a glyph or a word.
//! The glyph set is the one ASCII mechanism: `view`, `screens/` and `widgets/` draw every symbol,
//! separator, bar and border from it, so `ui.ascii` needs no pass over the drawn cells.

use std::borrow::Cow;

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

use crate::domain::{CiState, Verification};

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
    /// Built without colour because `NO_COLOR` asked (kept when the theme is switched).
    pub no_color: bool,
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
    /// After the name of an archived repository (read-only on GitHub).
    pub archived: &'static str,
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
    /// Marks what is already tracked (search results).
    pub check: &'static str,
    /// Stands for each character of a hidden input (the passphrase).
    pub secret: &'static str,
    pub arrow_left: &'static str,
    pub arrow_right: &'static str,
    /// Heading of the stars-delta column.
    pub star_delta: &'static str,
    /// Dialog borders.
    pub border: border::Set<'static>,
    /// CI states: checks passed, failed, still running, no checks at all.
    pub ci_success: &'static str,
    pub ci_failure: &'static str,
    pub ci_pending: &'static str,
    pub ci_none: &'static str,
    /// Commit signatures: verified by GitHub, signed but not verified, not signed.
    pub sig_verified: &'static str,
    pub sig_unverified: &'static str,
    pub sig_unsigned: &'static str,
    /// Before a protected branch's rule summary.
    pub protected: &'static str,
    /// Between a pull request's base and head (`main ← feature`).
    pub merge_into: &'static str,
}

pub const UNICODE: Glyphs = Glyphs {
    synced: "●",
    syncing: "◐",
    queued: "◔",
    waiting: "⏸",
    failed: "✖",
    never: "◌",
    stale: "!",
    archived: "⊘",
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
    check: "✓",
    secret: "•",
    arrow_left: "←",
    arrow_right: "→",
    star_delta: "Δ★",
    border: border::ROUNDED,
    ci_success: "✓",
    ci_failure: "✖",
    ci_pending: "○",
    ci_none: "·",
    sig_verified: "✓",
    sig_unverified: "!",
    sig_unsigned: "·",
    protected: "◆",
    merge_into: "←",
};

pub const ASCII: Glyphs = Glyphs {
    synced: "*",
    syncing: "~",
    queued: "+",
    waiting: "=",
    failed: "x",
    never: ".",
    stale: "!",
    archived: "a",
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
    check: "+",
    secret: "*",
    arrow_left: "<",
    arrow_right: ">",
    star_delta: "+*",
    border: border::Set {
        top_left: "+",
        top_right: "+",
        bottom_left: "+",
        bottom_right: "+",
        vertical_left: "|",
        vertical_right: "|",
        horizontal_top: "-",
        horizontal_bottom: "-",
    },
    ci_success: "+",
    ci_failure: "x",
    ci_pending: "o",
    ci_none: "-",
    sig_verified: "V",
    sig_unverified: "!",
    sig_unsigned: "-",
    protected: "P",
    merge_into: "<-",
};

impl Glyphs {
    /// `text` with the symbols the rest of repodeck writes into its own text swapped for this
    /// set's: the arrows of the keymap's key names ("j ↓", "ctrl-←") and the `…` of a cut text (a
    /// token's fingerprint `ghp_…3f9a`, "unlocking the vault…"). GitHub's text is left as it is.
    pub fn swap_symbols<'a>(&self, text: &'a str) -> Cow<'a, str> {
        const SYMBOLS: [char; 5] = ['↑', '↓', '←', '→', '…'];
        if !text.contains(SYMBOLS) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '↑' => out.push_str(self.arrow_up),
                '↓' => out.push_str(self.arrow_down),
                '←' => out.push_str(self.arrow_left),
                '→' => out.push_str(self.arrow_right),
                '…' => out.push_str(self.ellipsis),
                other => out.push(other),
            }
        }
        Cow::Owned(out)
    }

    /// " · " between items of a list (the dot with a space each side).
    pub fn sep(&self) -> String {
        format!(" {} ", self.dot)
    }
}

impl Theme {
    /// Builds a theme by name (unknown names fall back to "default"); `no_color` strips every
    /// colour and keeps only modifiers; `ascii` swaps the glyphs.
    pub fn new(name: &str, no_color: bool, ascii: bool) -> Self {
        Self::build(name, no_color, if ascii { ASCII } else { UNICODE })
    }

    /// The theme called `name` with this theme's `NO_COLOR` setting and glyphs (`:theme NAME`).
    pub fn switched_to(&self, name: &str) -> Self {
        Self::build(name, self.no_color, self.glyphs)
    }

    fn build(name: &str, no_color: bool, glyphs: Glyphs) -> Self {
        let mut theme = match name {
            "light" => Self::light(),
            "mono" => Self::mono(),
            _ => Self::default_dark(),
        };
        theme.glyphs = glyphs;
        if no_color {
            theme = theme.without_colour();
        }
        theme.no_color = no_color;
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
            no_color: false,
        }
    }

    fn light() -> Self {
        let s = Style::default();
        Theme {
            name: "light".into(),
            title: s.fg(Color::Blue).add_modifier(Modifier::BOLD),
            // Not ANSI 7 ("gray"), which is light grey: nearly invisible on white.
            dim: s.fg(Color::Rgb(96, 96, 96)),
            gauge_empty: s.fg(Color::Rgb(96, 96, 96)),
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

    /// A CI state's mark, its word and its style: the mark and the word carry the meaning, the
    /// colour only repeats it (so `NO_COLOR` and ASCII lose nothing).
    pub fn ci(&self, state: CiState) -> (&'static str, &'static str, Style) {
        let g = &self.glyphs;
        match state {
            CiState::Success => (g.ci_success, "passing", self.ok),
            CiState::Failure => (g.ci_failure, "failing", self.error),
            CiState::Pending => (g.ci_pending, "pending", self.warn),
            CiState::None => (g.ci_none, "no CI", self.dim),
        }
    }

    /// A commit signature's mark, its words and its style.
    pub fn signature(&self, v: &Verification) -> (&'static str, &'static str, Style) {
        let g = &self.glyphs;
        match v {
            Verification::Verified => (g.sig_verified, "verified", self.ok),
            Verification::Unverified { .. } => (g.sig_unverified, "unverified", self.warn),
            Verification::Unsigned => (g.sig_unsigned, "unsigned", self.dim),
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
        let b = g.border;
        for s in [
            g.synced,
            g.syncing,
            g.queued,
            g.waiting,
            g.failed,
            g.never,
            g.stale,
            g.archived,
            g.unread,
            g.mark,
            g.star,
            g.fork,
            g.dot,
            g.ellipsis,
            g.more,
            g.dash,
            g.arrow_down,
            g.arrow_up,
            g.arrow_left,
            g.arrow_right,
            g.bar_left,
            g.bar_right,
            g.bar_full,
            g.bar_empty,
            g.check,
            g.secret,
            g.star_delta,
            g.ci_success,
            g.ci_failure,
            g.ci_pending,
            g.ci_none,
            g.sig_verified,
            g.sig_unverified,
            g.sig_unsigned,
            g.protected,
            g.merge_into,
            b.top_left,
            b.top_right,
            b.bottom_left,
            b.bottom_right,
            b.vertical_left,
            b.vertical_right,
            b.horizontal_top,
            b.horizontal_bottom,
        ] {
            assert!(s.is_ascii(), "{s}");
        }
        assert_eq!(
            g.swap_symbols("j ↓ · ctrl-← → ghp_…3f9a"),
            "j v · ctrl-< > ghp_~3f9a"
        );
        assert_eq!(UNICODE.swap_symbols("j ↓ ghp_…3f9a"), "j ↓ ghp_…3f9a");
        assert!(
            g.bar_eighths
                .iter()
                .chain(g.spark.iter())
                .all(|s| s.is_ascii())
        );
    }

    #[test]
    fn ci_and_signature_marks_tell_states_apart_without_colour() {
        for ascii in [false, true] {
            let t = Theme::new("default", true, ascii);
            let ci: Vec<_> = [
                CiState::Success,
                CiState::Failure,
                CiState::Pending,
                CiState::None,
            ]
            .into_iter()
            .map(|s| t.ci(s))
            .collect();
            let sig: Vec<_> = [
                Verification::Verified,
                Verification::Unverified {
                    reason: "unknown_key".into(),
                },
                Verification::Unsigned,
            ]
            .iter()
            .map(|v| t.signature(v))
            .collect();
            for marks in [
                ci.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(),
                sig.iter().map(|m| (m.0, m.1)).collect(),
            ] {
                for (i, a) in marks.iter().enumerate() {
                    for b in &marks[i + 1..] {
                        assert!(a.0 != b.0 && a.1 != b.1, "{a:?} {b:?} (ascii {ascii})");
                    }
                }
            }
            for (mark, _, style) in ci.iter().chain(&sig) {
                assert!(!ascii || mark.is_ascii(), "{mark}");
                assert_eq!((style.fg, style.bg), (None, None));
            }
        }
    }

    #[test]
    fn switching_keeps_no_color_and_glyphs() {
        let t = Theme::new("light", true, true).switched_to("default");
        assert_eq!(t.name, "default");
        assert!(t.no_color && t.ok.fg.is_none());
        assert_eq!(t.glyphs, ASCII);
        assert_eq!(
            Theme::new("mono", false, false)
                .switched_to("default")
                .ok
                .fg,
            Some(Color::Green)
        );
    }

    /// xterm's default palette: what the named ANSI colours look like on most terminals.
    fn rgb(c: Color) -> Option<(u8, u8, u8)> {
        Some(match c {
            Color::Black => (0, 0, 0),
            Color::Red => (205, 0, 0),
            Color::Green => (0, 205, 0),
            Color::Yellow => (205, 205, 0),
            Color::Blue => (0, 0, 238),
            Color::Magenta => (205, 0, 205),
            Color::Cyan => (0, 205, 205),
            Color::Gray => (229, 229, 229),
            Color::DarkGray => (127, 127, 127),
            Color::LightRed => (255, 0, 0),
            Color::LightGreen => (0, 255, 0),
            Color::LightYellow => (255, 255, 0),
            Color::LightBlue => (92, 92, 255),
            Color::LightMagenta => (255, 0, 255),
            Color::LightCyan => (0, 255, 255),
            Color::White => (255, 255, 255),
            Color::Rgb(r, g, b) => (r, g, b),
            _ => return None,
        })
    }

    /// WCAG 2 relative luminance.
    fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
        let lin = |v: u8| {
            let c = f64::from(v) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    /// WCAG 2 contrast ratio, 1 to 21.
    fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    fn styles(t: &Theme) -> Vec<(&'static str, Style)> {
        vec![
            ("base", t.base),
            ("header", t.header),
            ("title", t.title),
            ("dim", t.dim),
            ("selected", t.selected),
            ("marked", t.marked),
            ("unread", t.unread),
            ("ok", t.ok),
            ("warn", t.warn),
            ("error", t.error),
            ("accent", t.accent),
            ("tab_active", t.tab_active),
            ("tab", t.tab),
            ("key", t.key),
            ("key_remapped", t.key_remapped),
            ("pause", t.pause),
            ("dialog", t.dialog),
            ("input", t.input),
            ("gauge_empty", t.gauge_empty),
        ]
    }

    #[test]
    fn the_known_contrast_figures_hold() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 0.01);
        assert!((contrast((229, 229, 229), (255, 255, 255)) - 1.26).abs() < 0.01);
    }

    /// Every colour a theme draws text in stands out from the background the theme assumes
    /// (black for "default", white for "light"), by WCAG's ratio of at least 3:1 (its floor for
    /// bold and large text and for UI parts); a style with its own background is measured against
    /// it, and a reversed one with its colours swapped.
    #[test]
    fn every_theme_colour_is_readable_on_its_background() {
        for name in crate::config::THEMES {
            let t = Theme::new(name, false, false);
            let (paper, ink) = if *name == "light" {
                ((255, 255, 255), (0, 0, 0))
            } else {
                ((0, 0, 0), (229, 229, 229))
            };
            for (field, s) in styles(&t) {
                if s.fg.is_none() && s.bg.is_none() {
                    continue;
                }
                let fg = s.fg.and_then(rgb).unwrap_or(ink);
                let bg = s.bg.and_then(rgb).unwrap_or(paper);
                let (fg, bg) = if s.add_modifier.contains(Modifier::REVERSED) {
                    (
                        s.bg.and_then(rgb).unwrap_or(paper),
                        s.fg.and_then(rgb).unwrap_or(ink),
                    )
                } else {
                    (fg, bg)
                };
                let ratio = contrast(fg, bg);
                assert!(
                    ratio >= 3.0,
                    "theme {name}: {field} has contrast {ratio:.2}:1 on {bg:?}, below 3:1"
                );
            }
        }
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
