//! Drawing without a terminal, for snapshot tests and the `ui` benchmark: an `App` rendered into
//! ratatui's `TestBackend`, read back as text or per-cell colours. Callers outside `tui/` use
//! this instead of naming ratatui themselves.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::app::App;
use super::view;

pub struct Headless {
    terminal: Terminal<TestBackend>,
}

impl Headless {
    pub fn new(width: u16, height: u16) -> Headless {
        // TestBackend never fails to build or draw; a failure here is a bug in ratatui.
        let terminal = Terminal::new(TestBackend::new(width, height))
            .unwrap_or_else(|e| panic!("test backend: {e}"));
        Headless { terminal }
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.terminal.backend_mut().resize(width, height);
    }

    /// Draws one frame of `app`.
    pub fn draw(&mut self, app: &App) {
        if let Err(e) = self.terminal.draw(|f| view::render(app, f)) {
            panic!("drawing into the test backend failed: {e}");
        }
    }

    /// The screen as text, one line per row, trailing spaces trimmed.
    pub fn text(&self) -> String {
        let buf = self.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            let mut skip = 0;
            for x in 0..buf.area.width {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
                line.push_str(sym);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// The foreground colour name at a cell ("green", "yellow", "red", "reset", ...).
    pub fn fg_at(&self, x: u16, y: u16) -> String {
        color_name(self.terminal.backend().buffer()[(x, y)].fg)
    }

    /// Finds the first cell where `needle` starts; returns (x, y).
    pub fn find(&self, needle: &str) -> Option<(u16, u16)> {
        let text = self.text();
        for (y, line) in text.lines().enumerate() {
            if let Some(byte) = line.find(needle) {
                let x = unicode_width::UnicodeWidthStr::width(&line[..byte]);
                return Some((x as u16, y as u16));
            }
        }
        None
    }
}

fn color_name(c: Color) -> String {
    match c {
        Color::Reset => "reset".into(),
        Color::Green => "green".into(),
        Color::Yellow => "yellow".into(),
        Color::Red => "red".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}
