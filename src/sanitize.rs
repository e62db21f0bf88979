//! Terminal safety: text from GitHub is untrusted. These functions strip control characters,
//! ESC/CSI/OSC/DCS sequences and bidi overrides before any of it reaches the terminal, through
//! the TUI or the CLI's human-readable output.

use std::borrow::Cow;

/// Bidi embedding/override/isolate controls and marks that can reorder what the user sees.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Removes escape sequences, control characters (C0, DEL, C1) and bidi controls. Newlines and tabs
/// become spaces, so the result is one line. Zero-width joiners and combining marks are kept.
pub fn line(s: &str) -> Cow<'_, str> {
    clean(s, false)
}

/// Like [`line`] but keeps `\n` (tabs become four spaces): for commit messages and bodies.
pub fn multiline(s: &str) -> Cow<'_, str> {
    clean(s, true)
}

fn clean(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI, OSC, DCS, SOS, PM, APC introduce sequences too.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if keep_newlines => out.push('\n'),
            '\r' if keep_newlines => {}
            '\n' | '\r' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            '\t' => out.push_str(if keep_newlines { "    " } else { " " }),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        // Two-character escapes (ESC c, ESC 7, ESC ( B ...): drop the next char (and one more for charset).
        Some('(' | ')' | '*' | '+' | '#' | '%') => {
            chars.next();
            chars.next();
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// CSI: parameters and intermediates, then one final byte in 0x40..=0x7e.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/...: up to BEL, ST (ESC \) or C1 ST.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// Truncates to at most `max` chars, adding `…` when cut (for very long lines).
pub fn truncate_chars(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max {
        Cow::Borrowed(s)
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_sequences_controls_and_bidi() {
        let hostile = "a\u{1b}[31mred\u{1b}[0m b\u{1b}]52;c;ZXZpbA==\u{7} c\u{1b}]8;;http://x\u{1b}\\link d\u{202e}evil\u{2066}e\0f\u{7f}g\u{85}h\u{9b}2Ji";
        let out = line(hostile);
        assert_eq!(out, "ared b clink devilefghi");
        assert!(!out.chars().any(|c| c.is_control()));
    }

    #[test]
    fn keeps_unicode_text() {
        let s = "日本語 👩‍👩‍👧 é שלום";
        assert!(matches!(line(s), Cow::Borrowed(_)));
        assert_eq!(multiline("a\r\nb\tc"), "a\nb    c");
        assert_eq!(line("a\nb"), "a b");
    }

    #[test]
    fn unterminated_sequences_do_not_eat_panics() {
        assert_eq!(line("x\u{1b}"), "x");
        assert_eq!(line("x\u{1b}[12"), "x");
        assert_eq!(line("x\u{1b}]52;c;AAAA"), "x");
    }
}
