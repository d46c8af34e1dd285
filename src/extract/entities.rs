//! HTML character references in text chunks (`lol_html` hands text over
//! undecoded): the named ones that appear in job titles and descriptions,
//! and every numeric one.

use std::borrow::Cow;

const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("ndash", '–'),
    ("mdash", '—'),
    ("hellip", '…'),
    ("rsquo", '’'),
    ("lsquo", '‘'),
    ("rdquo", '”'),
    ("ldquo", '“'),
    ("bull", '•'),
    ("middot", '·'),
    ("euro", '€'),
    ("pound", '£'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
];

/// Decode character references; text without `&` is returned as is.
pub fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // A reference is short; anything longer is a literal ampersand.
        // (Searched in bytes: byte 12 may fall inside a character.)
        let end = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|b| *b == b';');
        match end.and_then(|e| reference(&rest[1..e]).map(|c| (c, e))) {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn reference(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn named_numeric_and_literal() {
        assert_eq!(decode("R&amp;D &#8211; Rust&#x2F;C&nbsp;"), "R&D – Rust/C ");
        assert_eq!(decode("AT&T & co;"), "AT&T & co;");
        assert_eq!(decode("&#0; &#xZZ; &bogus;"), "&#0; &#xZZ; &bogus;");
        assert_eq!(decode("plain"), "plain");
        // Regression: a multi-byte character across the 12-byte window.
        assert_eq!(decode("&マーケティング"), "&マーケティング");
        assert_eq!(decode("R&Dé&amp;"), "R&Dé&");
    }
}
