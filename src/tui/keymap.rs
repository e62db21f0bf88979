//! The keymap: (mode, key) -> `Action`. Defaults follow k9s / lazygit habits and leave ctrl+h/j/k/l
//! and ctrl+a free for tmux users; config `[keys]` remaps any bindable action by name
//! (`sync = "s"`, `page_down = "ctrl+f, pgdn"`). The `?` help and the footer hints are generated
//! from this table, so they always name the keys that work here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Edit};

/// Where a key is pressed. `Nav` and `Global` are shared tables, not screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Global,
    Nav,
    List,
    Detail,
    Commit,
    Activity,
    Releases,
    Jobs,
    Rate,
    Help,
    Confirm,
    Notice,
    Input,
    /// A pull request or issue opened on the repo screen.
    Item,
    Attention,
}

impl Mode {
    /// The tables consulted, in order, for a key pressed in this mode.
    pub fn chain(self) -> &'static [Mode] {
        match self {
            Mode::Global | Mode::Nav => &[Mode::Nav, Mode::Global],
            Mode::List => &[Mode::List, Mode::Nav, Mode::Global],
            Mode::Detail => &[Mode::Detail, Mode::Nav, Mode::Global],
            Mode::Commit => &[Mode::Commit, Mode::Nav, Mode::Global],
            Mode::Activity => &[Mode::Activity, Mode::Nav, Mode::Global],
            Mode::Releases => &[Mode::Releases, Mode::Nav, Mode::Global],
            Mode::Jobs => &[Mode::Jobs, Mode::Nav, Mode::Global],
            Mode::Rate => &[Mode::Rate, Mode::Nav, Mode::Global],
            Mode::Attention => &[Mode::Attention, Mode::Nav, Mode::Global],
            Mode::Help => &[Mode::Help, Mode::Nav],
            Mode::Confirm => &[Mode::Confirm],
            Mode::Notice => &[Mode::Notice],
            Mode::Input => &[Mode::Input],
            Mode::Item => &[Mode::Item, Mode::Nav, Mode::Global],
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Mode::Global => "Everywhere",
            Mode::Nav => "Moving",
            Mode::List => "Repositories",
            Mode::Detail => "Repository",
            Mode::Commit => "Commit",
            Mode::Activity => "Activity",
            Mode::Releases => "Releases",
            Mode::Jobs => "Sync jobs",
            Mode::Rate => "Rate limits",
            Mode::Help => "Help",
            Mode::Confirm => "Confirm",
            Mode::Notice => "Notice",
            Mode::Input => "Input",
            Mode::Item => "Pull request / issue",
            Mode::Attention => "Attention",
        }
    }
}

/// A key with modifiers, normalized: shift is folded into the character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` subset we bind, with an order (for stable help output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

impl Key {
    pub const fn char(c: char) -> Key {
        Key {
            code: KeyCodeOrd::Char(c),
            ctrl: false,
            alt: false,
        }
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCodeOrd::Char(c),
            ctrl: true,
            alt: false,
        }
    }
    pub const fn code(code: KeyCodeOrd) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// From a crossterm key press; `None` for keys we never bind (media keys, ...).
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCodeOrd::BackTab,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::F(n) => KeyCodeOrd::F(n),
            _ => return None,
        };
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        // Terminals report ctrl+letter in lower case; keep the table in lower case too.
        let code = match code {
            KeyCodeOrd::Char(c) if ctrl => KeyCodeOrd::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Some(Key {
            code,
            ctrl,
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parses `j`, `J`, `ctrl+d`, `alt+x`, `enter`, `esc`, `tab`, `shift+tab`, `space`, `pgdn`, `f5` ...
    pub fn parse(s: &str) -> Result<Key, String> {
        let s = s.trim();
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower
                .strip_prefix("ctrl+")
                .or_else(|| lower.strip_prefix("c-"))
            {
                ctrl = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower
                .strip_prefix("alt+")
                .or_else(|| lower.strip_prefix("m-"))
            {
                alt = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift+") {
                shift = true;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let named = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" | "cr" => Some(KeyCodeOrd::Enter),
            "esc" | "escape" => Some(KeyCodeOrd::Esc),
            "tab" if shift => Some(KeyCodeOrd::BackTab),
            "tab" => Some(KeyCodeOrd::Tab),
            "backtab" => Some(KeyCodeOrd::BackTab),
            "backspace" | "bs" => Some(KeyCodeOrd::Backspace),
            "delete" | "del" => Some(KeyCodeOrd::Delete),
            "up" => Some(KeyCodeOrd::Up),
            "down" => Some(KeyCodeOrd::Down),
            "left" => Some(KeyCodeOrd::Left),
            "right" => Some(KeyCodeOrd::Right),
            "home" => Some(KeyCodeOrd::Home),
            "end" => Some(KeyCodeOrd::End),
            "pgup" | "pageup" => Some(KeyCodeOrd::PageUp),
            "pgdn" | "pagedown" => Some(KeyCodeOrd::PageDown),
            "space" => Some(KeyCodeOrd::Char(' ')),
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=24).contains(&n)) =>
            {
                f[1..].parse().ok().map(KeyCodeOrd::F)
            }
            _ => None,
        };
        let code = match named {
            Some(c) => c,
            None => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if !c.is_control() => {
                        let c = if ctrl {
                            c.to_ascii_lowercase()
                        } else if shift {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        };
                        KeyCodeOrd::Char(c)
                    }
                    _ => {
                        return Err(format!(
                            "'{s}' is not a key: use one character (j, J, /), a name (enter, esc, tab, shift+tab, space, up, pgdn, home, f5) with optional ctrl+ or alt+"
                        ));
                    }
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "ctrl+")?;
        }
        if self.alt {
            write!(f, "alt+")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => write!(f, "space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::Enter => write!(f, "enter"),
            KeyCodeOrd::Esc => write!(f, "esc"),
            KeyCodeOrd::Tab => write!(f, "tab"),
            KeyCodeOrd::BackTab => write!(f, "shift+tab"),
            KeyCodeOrd::Backspace => write!(f, "bksp"),
            KeyCodeOrd::Delete => write!(f, "del"),
            KeyCodeOrd::Up => write!(f, "↑"),
            KeyCodeOrd::Down => write!(f, "↓"),
            KeyCodeOrd::Left => write!(f, "←"),
            KeyCodeOrd::Right => write!(f, "→"),
            KeyCodeOrd::Home => write!(f, "home"),
            KeyCodeOrd::End => write!(f, "end"),
            KeyCodeOrd::PageUp => write!(f, "pgup"),
            KeyCodeOrd::PageDown => write!(f, "pgdn"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
        }
    }
}

/// One row of `?` help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub what: &'static str,
    pub remapped: bool,
}

#[derive(Debug, Clone)]
pub struct Keymap {
    /// Per mode, bindings in insertion order (first key of an action is the one hints show).
    tables: BTreeMap<Mode, Vec<(Key, Action)>>,
    remapped: BTreeSet<String>,
}

fn defaults() -> Vec<(Mode, &'static str, Action)> {
    use Action as A;
    use Mode as M;
    vec![
        (M::Global, "q", A::Quit),
        (M::Global, "ctrl+c", A::Quit),
        (M::Global, "?", A::Help),
        (M::Global, ":", A::Command),
        (M::Global, "J", A::Jobs),
        (M::Global, "A", A::Activity),
        (M::Global, "E", A::Releases),
        (M::Global, "L", A::RateLimits),
        (M::Global, "R", A::SyncAll),
        (M::Global, "a", A::Add),
        (M::Global, "i", A::Import),
        (M::Global, "F", A::Search),
        (M::Global, "ctrl+z", A::Suspend),
        (M::Global, "t", A::TakeOver),
        (M::Global, "W", A::Attention),
        (M::Nav, "j", A::Down),
        (M::Nav, "down", A::Down),
        (M::Nav, "k", A::Up),
        (M::Nav, "up", A::Up),
        (M::Nav, "g", A::Top),
        (M::Nav, "home", A::Top),
        (M::Nav, "G", A::Bottom),
        (M::Nav, "end", A::Bottom),
        (M::Nav, "ctrl+d", A::PageDown),
        (M::Nav, "pgdn", A::PageDown),
        (M::Nav, "ctrl+u", A::PageUp),
        (M::Nav, "pgup", A::PageUp),
        (M::Nav, "enter", A::Open),
        (M::Nav, "l", A::Open),
        (M::Nav, "right", A::Open),
        (M::Nav, "esc", A::Back),
        (M::List, "/", A::Filter),
        (M::List, "n", A::NextMatch),
        (M::List, "N", A::PrevMatch),
        (M::List, "s", A::Sync),
        (M::List, "S", A::ForceSync),
        (M::List, "d", A::Remove),
        (M::List, "space", A::Mark),
        (M::List, "o", A::OpenBrowser),
        (M::List, "y", A::CopyUrl),
        (M::List, "O", A::Sort),
        (M::List, "r", A::SortReverse),
        (M::Detail, "tab", A::NextTab),
        (M::Detail, "l", A::NextTab),
        (M::Detail, "right", A::NextTab),
        (M::Detail, "shift+tab", A::PrevTab),
        (M::Detail, "h", A::PrevTab),
        (M::Detail, "left", A::PrevTab),
        (M::Detail, "1", A::Tab1),
        (M::Detail, "2", A::Tab2),
        (M::Detail, "3", A::Tab3),
        (M::Detail, "4", A::Tab4),
        (M::Detail, "5", A::Tab5),
        (M::Detail, "6", A::Tab6),
        (M::Detail, "7", A::Tab7),
        (M::Detail, "s", A::Sync),
        (M::Detail, "S", A::ForceSync),
        (M::Detail, "o", A::OpenBrowser),
        (M::Detail, "y", A::CopyUrl),
        (M::Detail, "d", A::Remove),
        (M::Commit, "o", A::OpenBrowser),
        (M::Commit, "y", A::CopyUrl),
        (M::Activity, "o", A::OpenBrowser),
        (M::Activity, "y", A::CopyUrl),
        (M::Activity, "m", A::MarkAllRead),
        (M::Activity, "t", A::FilterKind),
        (M::Activity, "r", A::FilterRepo),
        (M::Releases, "o", A::OpenBrowser),
        (M::Releases, "y", A::CopyUrl),
        (M::Attention, "o", A::OpenBrowser),
        (M::Attention, "y", A::CopyUrl),
        (M::Attention, "r", A::Refresh),
        (M::Jobs, "x", A::Cancel),
        (M::Jobs, "s", A::Sync),
        (M::Help, "esc", A::Back),
        (M::Help, "q", A::Back),
        (M::Help, "?", A::Back),
        (M::Confirm, "y", A::Confirm),
        (M::Confirm, "enter", A::Confirm),
        (M::Confirm, "n", A::Back),
        (M::Confirm, "esc", A::Back),
        (M::Confirm, "q", A::Back),
        (M::Notice, "esc", A::Back),
        (M::Notice, "enter", A::Back),
        (M::Notice, "q", A::Back),
        (M::Notice, "y", A::CopyUrl),
        (M::Notice, "t", A::TakeOver),
        (M::Input, "enter", A::Submit),
        (M::Input, "esc", A::Back),
        (M::Input, "tab", A::Complete),
        (M::Input, "up", A::HistoryPrev),
        (M::Input, "down", A::HistoryNext),
        (M::Input, "ctrl+c", A::Back),
        (M::Item, "o", A::OpenBrowser),
        (M::Item, "y", A::CopyUrl),
    ]
}

impl Default for Keymap {
    fn default() -> Self {
        let mut tables: BTreeMap<Mode, Vec<(Key, Action)>> = BTreeMap::new();
        for (mode, key, action) in defaults() {
            // The default table is ours and parses; a typo would show up in the tests.
            if let Ok(k) = Key::parse(key) {
                tables.entry(mode).or_default().push((k, action));
            }
        }
        Keymap {
            tables,
            remapped: BTreeSet::new(),
        }
    }
}

impl Keymap {
    /// The defaults with config `[keys]` applied: `action = "key"` or `"key, key"` (keys separated
    /// by commas). The new keys replace the action's default keys wherever the action was bound.
    /// Refused, naming the entry and the fix: an unknown action (with the nearest name), a key that
    /// does not parse, and a key another action already has on a screen where the new one works
    /// (`sync = "x"` would take cancel from the jobs screen; `quit = "q"` with `help = "q"`),
    /// or a plain character in a text field (it could no longer be typed).
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Keymap, KeyConfigError> {
        let defaults = Keymap::default();
        let mut parsed: Vec<(String, Action, Vec<Key>)> = Vec::new();
        for (name, spec) in overrides {
            let err = |message: String| KeyConfigError {
                action: name.trim().to_string(),
                message,
            };
            let action = Action::from_name(name)
                .filter(|a| Keymap::action_names().contains(&a.name().unwrap_or_default()))
                .ok_or_else(|| err(unknown_action(name)))?;
            let keys = parse_keys(spec).map_err(&err)?;
            parsed.push((name.trim().to_string(), action, keys));
        }
        let mut map = defaults.clone();
        let mut placed: Vec<(String, Action, Vec<Key>, Vec<Mode>)> = Vec::new();
        for (name, action, keys) in parsed {
            let mut modes: Vec<Mode> = map
                .tables
                .iter()
                .filter(|(_, t)| t.iter().any(|(_, a)| *a == action))
                .map(|(m, _)| *m)
                .collect();
            if modes.is_empty() {
                modes.push(Mode::Global);
            }
            for table in map.tables.values_mut() {
                table.retain(|(_, a)| *a != action);
            }
            placed.push((name, action, keys, modes));
        }
        for (name, action, keys, modes) in placed {
            for &mode in &modes {
                for k in &keys {
                    if let Some(message) = map.conflict(mode, *k, &action, &defaults) {
                        return Err(KeyConfigError {
                            action: name.clone(),
                            message,
                        });
                    }
                }
                let table = map.tables.entry(mode).or_default();
                table.retain(|(k, _)| !keys.contains(k));
                for k in keys.iter().rev() {
                    table.insert(0, (*k, action.clone()));
                }
            }
            map.remapped.insert(name);
        }
        Ok(map)
    }

    /// Whether `mode`'s own table binds `key` to `action`.
    fn binds(&self, mode: Mode, key: Key, action: &Action) -> bool {
        self.tables
            .get(&mode)
            .is_some_and(|t| t.iter().any(|(k, a)| *k == key && a == action))
    }

    /// Why binding `key` to `action` in `mode`'s table would take a key from another action on
    /// some screen that consults that table, if it would.
    /// Clashes the defaults already have (restating `open = "l"`, which the detail screen's tabs
    /// shadow by design) are not refused.
    fn conflict(&self, mode: Mode, key: Key, action: &Action, defaults: &Keymap) -> Option<String> {
        let name = action.name().unwrap_or_default();
        let restated = defaults.binds(mode, key, action);
        if !restated
            && mode == Mode::Input
            && !key.ctrl
            && !key.alt
            && matches!(key.code, KeyCodeOrd::Char(_))
        {
            return Some(format!(
                "`{key}` for `{name}` would stop `{key}` being typed in text fields; choose a key with ctrl+ or alt+, or a named key (f5, esc)"
            ));
        }
        for screen in SCREENS {
            let chain = screen.chain();
            if !chain.contains(&mode) {
                continue;
            }
            for m in chain {
                let other = self.tables.get(m).and_then(|t| {
                    t.iter().find(|(k, a)| {
                        *k == key && a != action && !(restated && defaults.binds(*m, key, a))
                    })
                });
                if let Some((_, other)) = other {
                    let other = other.name().unwrap_or_else(|| other.describe().to_string());
                    return Some(format!(
                        "`{key}` is already `{other}` on the {} screen, so one of them would stop working there; choose another key for `{name}`, or remap `{other}` too",
                        screen.title()
                    ));
                }
            }
        }
        None
    }

    /// Every bindable action's config name.
    pub fn action_names() -> Vec<String> {
        let mut names: Vec<String> = defaults().iter().filter_map(|(_, _, a)| a.name()).collect();
        names.sort();
        names.dedup();
        names
    }

    /// The action bound to `key` in `mode` (consulting the shared tables in order).
    pub fn lookup(&self, mode: Mode, key: Key) -> Option<Action> {
        mode.chain().iter().find_map(|m| {
            self.tables
                .get(m)
                .and_then(|t| t.iter().find(|(k, _)| *k == key).map(|(_, a)| a.clone()))
        })
    }

    /// Turns a key press into an action; in input mode unbound keys edit the text.
    pub fn action_for(&self, mode: Mode, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev)?;
        if let Some(a) = self.lookup(mode, key) {
            return Some(a);
        }
        if mode == Mode::Input {
            return edit_for(key).map(Action::Edit);
        }
        None
    }

    /// The first key that triggers `action` in `mode`, for hints.
    pub fn key_for(&self, mode: Mode, action: &Action) -> Option<Key> {
        mode.chain().iter().find_map(|m| {
            self.tables.get(m).and_then(|t| {
                t.iter()
                    .find(|(k, a)| a == action && self.lookup(mode, *k).as_ref() == Some(action))
                    .map(|(k, _)| *k)
            })
        })
    }

    /// `?` help for a mode: its own bindings first, then moving and global ones; one row per action.
    pub fn help(&self, mode: Mode) -> Vec<(Mode, Vec<HelpEntry>)> {
        let mut seen: Vec<Action> = Vec::new();
        let mut out = Vec::new();
        for m in mode.chain() {
            let mut entries: Vec<HelpEntry> = Vec::new();
            let Some(table) = self.tables.get(m) else {
                continue;
            };
            for (_, action) in table {
                if seen.contains(action) {
                    continue;
                }
                seen.push(action.clone());
                // Only keys that really reach this action from this mode (not shadowed).
                let keys: Vec<String> = table
                    .iter()
                    .filter(|(k, a)| a == action && self.lookup(mode, *k).as_ref() == Some(action))
                    .map(|(k, _)| k.to_string())
                    .collect();
                if keys.is_empty() {
                    continue;
                }
                let remapped = action.name().is_some_and(|n| self.remapped.contains(&n));
                entries.push(HelpEntry {
                    keys: keys.join(" "),
                    what: action.describe(),
                    remapped,
                });
            }
            if !entries.is_empty() {
                out.push((*m, entries));
            }
        }
        out
    }
}

/// Where keys are pressed (every mode but the shared tables), for the conflict check.
const SCREENS: [Mode; 13] = [
    Mode::List,
    Mode::Detail,
    Mode::Commit,
    Mode::Activity,
    Mode::Releases,
    Mode::Jobs,
    Mode::Rate,
    Mode::Help,
    Mode::Confirm,
    Mode::Notice,
    Mode::Input,
    Mode::Item,
    Mode::Attention,
];

/// A `[keys]` entry the keymap refuses: the entry (its action name) and what is wrong, with the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConfigError {
    pub action: String,
    pub message: String,
}

impl fmt::Display for KeyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key `keys.{}`: {}", self.action, self.message)
    }
}

impl std::error::Error for KeyConfigError {}

/// "not an action", with the nearest action name when one is close.
fn unknown_action(name: &str) -> String {
    let name = name.trim();
    let names = Keymap::action_names();
    let nearest = names
        .iter()
        .min_by_key(|n| crate::config::levenshtein(name, n))
        .filter(|n| crate::config::levenshtein(name, n) <= 3.max(name.len() / 3));
    match nearest {
        Some(n) => format!(
            "`{name}` is not an action; did you mean `{n}`? Press ? in the TUI (or see config.example.toml) for every action's name"
        ),
        None => format!(
            "`{name}` is not an action; use one of: {}",
            names.join(", ")
        ),
    }
}

/// `"ctrl+f, pgdn"`: keys separated by commas; at least one.
fn parse_keys(spec: &str) -> Result<Vec<Key>, String> {
    let mut keys = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if part.split_whitespace().count() > 1 {
            let fixed = part.split_whitespace().collect::<Vec<_>>().join(", ");
            return Err(format!(
                "\"{spec}\": separate several keys with commas, e.g. \"{fixed}\""
            ));
        }
        keys.push(Key::parse(part)?);
    }
    if keys.is_empty() {
        return Err("give at least one key, e.g. \"x\" or \"ctrl+f, pgdn\"".into());
    }
    Ok(keys)
}

/// Text editing keys, the readline subset (tui-input's defaults, minus tmux's ctrl+a).
fn edit_for(key: Key) -> Option<Edit> {
    use KeyCodeOrd as C;
    Some(match (key.code, key.ctrl, key.alt) {
        (C::Char(c), false, false) => Edit::Insert(c),
        (C::Backspace, false, _) | (C::Char('h'), true, false) => Edit::Backspace,
        (C::Backspace, _, true) | (C::Char('w'), true, false) => Edit::DeleteWord,
        (C::Delete, false, false) => Edit::Delete,
        (C::Left, false, false) | (C::Char('b'), true, false) => Edit::Left,
        (C::Right, false, false) | (C::Char('f'), true, false) => Edit::Right,
        (C::Left, true, _) | (C::Char('b'), false, true) => Edit::WordLeft,
        (C::Right, true, _) | (C::Char('f'), false, true) => Edit::WordRight,
        (C::Home, _, _) => Edit::Home,
        (C::End, _, _) | (C::Char('e'), true, false) => Edit::End,
        (C::Char('u'), true, false) => Edit::DeleteLine,
        (C::Char('k'), true, false) => Edit::DeleteToEnd,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: m,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    #[test]
    fn defaults_parse_and_resolve() {
        assert_eq!(
            defaults().len(),
            Keymap::default()
                .tables
                .values()
                .map(Vec::len)
                .sum::<usize>()
        );
        let km = Keymap::default();
        assert_eq!(
            km.action_for(Mode::List, &ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.action_for(Mode::List, &ev(KeyCode::Char('S'), KeyModifiers::SHIFT)),
            Some(Action::ForceSync)
        );
        assert_eq!(
            km.action_for(Mode::List, &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action_for(Mode::Detail, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevTab)
        );
        assert_eq!(
            km.action_for(Mode::Help, &ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Back)
        );
        assert_eq!(
            km.action_for(Mode::Input, &ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Edit(Edit::Insert('q')))
        );
        // tmux's keys stay free.
        for c in ['h', 'j', 'k', 'l', 'a'] {
            assert_eq!(km.lookup(Mode::List, Key::ctrl(c)), None, "ctrl+{c}");
        }
    }

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "j",
            "J",
            "ctrl+d",
            "enter",
            "esc",
            "shift+tab",
            "space",
            "pgdn",
            "f5",
            "/",
            "alt+x",
        ] {
            let k = Key::parse(s).unwrap();
            assert_eq!(Key::parse(&k.to_string()).unwrap_or(k), k, "{s}");
        }
        assert_eq!(Key::parse("ctrl+D").unwrap(), Key::ctrl('d'));
        assert!(Key::parse("jj").is_err());
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn remaps_replace_defaults_and_show_in_help() {
        let mut o = BTreeMap::new();
        o.insert("sync".to_string(), "x, ctrl+s".to_string());
        o.insert("cancel".to_string(), "c".to_string());
        let km = Keymap::with_overrides(&o).unwrap();
        assert_eq!(km.lookup(Mode::List, Key::char('x')), Some(Action::Sync));
        assert_eq!(km.lookup(Mode::List, Key::ctrl('s')), Some(Action::Sync));
        assert_eq!(km.lookup(Mode::List, Key::char('s')), None);
        let help = km.help(Mode::List);
        let row = help
            .iter()
            .flat_map(|(_, e)| e)
            .find(|e| e.what == "sync selected")
            .unwrap();
        assert!(row.remapped);
        assert!(row.keys.contains('x'));
        assert_eq!(km.key_for(Mode::List, &Action::Sync), Some(Key::char('x')));

        o.insert("nope".into(), "z".into());
        let err = Keymap::with_overrides(&o).unwrap_err().to_string();
        assert!(err.contains("`nope` is not an action"), "{err}");
        let mut bad = BTreeMap::new();
        bad.insert("quit".to_string(), "ctrl+".to_string());
        assert!(Keymap::with_overrides(&bad).is_err());
    }

    fn remap(pairs: &[(&str, &str)]) -> Result<Keymap, String> {
        let o: BTreeMap<String, String> = pairs
            .iter()
            .map(|(a, k)| (a.to_string(), k.to_string()))
            .collect();
        Keymap::with_overrides(&o).map_err(|e| e.to_string())
    }

    #[test]
    fn remaps_that_take_a_key_from_another_action_are_refused() {
        let err = remap(&[("sync", "x")]).unwrap_err();
        assert!(
            err.starts_with("key `keys.sync`: `x` is already `cancel` on the Sync jobs screen"),
            "{err}"
        );
        let err = remap(&[("quit", "q"), ("help", "q")]).unwrap_err();
        assert!(
            err.contains("`q` is already") && err.contains("quit") && err.contains("help"),
            "{err}"
        );
        // Freeing the key first makes it fine, in either order of the names.
        let km = remap(&[("sync", "x"), ("cancel", "c")]).unwrap();
        assert_eq!(km.lookup(Mode::Jobs, Key::char('x')), Some(Action::Sync));
        assert_eq!(km.lookup(Mode::Jobs, Key::char('c')), Some(Action::Cancel));
        let km = remap(&[("help", "q"), ("quit", "ctrl+q")]).unwrap();
        assert_eq!(km.lookup(Mode::List, Key::char('q')), Some(Action::Help));
        // Restating a default is no conflict, even where a screen shadows it by design.
        assert!(remap(&[("open", "enter, l, right")]).is_ok());
        assert!(remap(&[("quit", "q")]).is_ok());
        // A key that moves the cursor is taken too.
        assert!(remap(&[("sync", "j")]).unwrap_err().contains("`down`"));
        // A plain character would stop being typed in text fields.
        let err = remap(&[("submit", "x")]).unwrap_err();
        assert!(err.contains("typed"), "{err}");
    }

    #[test]
    fn key_lists_are_comma_separated_and_unknown_names_get_a_suggestion() {
        let km = remap(&[("page_down", "ctrl+f, pgdn")]).unwrap();
        assert_eq!(
            km.lookup(Mode::List, Key::ctrl('f')),
            Some(Action::PageDown)
        );
        let err = remap(&[("page_down", "ctrl+f pgdn")]).unwrap_err();
        assert!(
            err.contains("separate several keys with commas") && err.contains("\"ctrl+f, pgdn\""),
            "{err}"
        );
        let err = remap(&[("snyc", "x")]).unwrap_err();
        assert!(
            err.starts_with("key `keys.snyc`:") && err.contains("did you mean `sync`?"),
            "{err}"
        );
        assert!(
            remap(&[("sync", " , ")])
                .unwrap_err()
                .contains("at least one key")
        );
    }

    #[test]
    fn help_lists_each_action_once_with_all_keys() {
        let km = Keymap::default();
        let help = km.help(Mode::List);
        let all: Vec<&HelpEntry> = help.iter().flat_map(|(_, e)| e).collect();
        let down = all.iter().find(|e| e.what == "down").unwrap();
        assert_eq!(down.keys, "j ↓");
        assert_eq!(all.iter().filter(|e| e.what == "quit").count(), 1);
        assert!(all.iter().any(|e| e.what == "filter" && e.keys == "/"));
    }
}
