//! Which characters a text typed by someone may hold.

/// The bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make
/// a name display in another order than it is stored, so "Admin" + U+202E +
/// "gnp.exe" shows as "Adminexe.png" in a list.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Not allowed in a one-line text (names, titles, subjects): control
/// characters (NUL included) and bidi controls.
pub fn unusable_in_line(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Not allowed in a longer text (descriptions): the same, but line breaks
/// and tabs are fine.
pub fn unusable_in_text(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(c)
}

/// `s` fit to be echoed in a message: at most `max` characters (then "…"),
/// and what may not be shown in a line replaced by U+FFFD.
pub fn cut(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .take(max)
        .map(|c| if unusable_in_line(c) { '\u{FFFD}' } else { c })
        .collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_shortens_and_masks() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("a\0b", 5), "a\u{FFFD}b");
    }

    #[test]
    fn lines_refuse_controls_and_bidi_overrides() {
        for c in ['\0', '\n', '\u{7f}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert!(unusable_in_line(c), "{c:?}");
        }
        for c in ['a', 'é', 'ß', '日', '\u{200F}', ' '] {
            assert!(!unusable_in_line(c), "{c:?}");
        }
        assert!(!unusable_in_text('\n') && !unusable_in_text('\t'));
        assert!(unusable_in_text('\0') && unusable_in_text('\u{202D}'));
    }
}
