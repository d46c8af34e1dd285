//! Robots rule patterns: normalised percent-encoding and matching with `*`
//! (any run of characters) and a trailing `$` (end of path).
//!
//! Patterns and paths are compared byte for byte after both are normalised the
//! same way: bytes outside ASCII become `%XX` and existing escapes get
//! upper-case hex digits, so `ツ`, `%e3%83%84` and `%E3%83%84` agree.

/// Percent-encode non-ASCII bytes and upper-case the hex digits of existing
/// escapes.
pub fn normalise(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(bytes[i + 1].to_ascii_uppercase() as char);
            out.push(bytes[i + 2].to_ascii_uppercase() as char);
            i += 3;
        } else if b >= 0x80 {
            out.push_str(&format!("%{b:02X}"));
            i += 1;
        } else {
            out.push(b as char);
            i += 1;
        }
    }
    out
}

/// Whether `pattern` matches a prefix of `path` (or all of it, when the
/// pattern ends in `$`).
///
/// Tracks the set of path positions the pattern read so far can end at; a
/// `*` widens it to every later position. Linear in the path per pattern
/// byte, so a hostile robots.txt costs at most `path × pattern` steps.
pub fn matches(path: &str, pattern: &str) -> bool {
    let path = path.as_bytes();
    let pattern = pattern.as_bytes();
    let (body, anchored) = match pattern.split_last() {
        Some((b'$', rest)) => (rest, true),
        _ => (pattern, false),
    };
    // Most patterns are plain prefixes: no need for the general walk.
    if !body.contains(&b'*') {
        return if anchored {
            path == body
        } else {
            path.starts_with(body)
        };
    }
    // `at[i]`: the pattern so far can end just before path byte `i`.
    let mut at = vec![false; path.len() + 1];
    at[0] = true;
    for &p in body {
        if p == b'*' {
            match at.iter().position(|&x| x) {
                Some(first) => at[first..].iter_mut().for_each(|x| *x = true),
                None => return false,
            }
        } else {
            let mut any = false;
            for i in (0..path.len()).rev() {
                at[i + 1] = at[i] && path[i] == p;
                any |= at[i + 1];
            }
            at[0] = false;
            if !any {
                return false;
            }
        }
    }
    if anchored {
        at[path.len()]
    } else {
        at.iter().any(|&x| x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_wildcard_and_anchor() {
        assert!(matches("/fish/salmon.html", "/fish"));
        assert!(!matches("/Fish.asp", "/fish"));
        assert!(matches("/fish.php?id=1", "/*.php"));
        assert!(matches("/folder/filename.php", "/*.php$"));
        assert!(!matches("/filename.php?parameters", "/*.php$"));
        assert!(!matches("/filename.php/", "/*.php$"));
        assert!(matches("/fish.php", "/fish*.php"));
        assert!(!matches("/Fish.PHP", "/fish*.php"));
        assert!(matches("/anything", ""));
        assert!(matches("/", "*"));
        assert!(matches("/a$b", "/a$b"), "a $ inside a pattern is literal");
        assert!(matches("/", "/$"));
        assert!(!matches("/x", "/$"));
        assert!(matches("/abc", "**c$"));
    }

    #[test]
    fn escapes_are_normalised() {
        assert_eq!(normalise("/foo/bar/ツ"), "/foo/bar/%E3%83%84");
        assert_eq!(normalise("/a%2fb%e3"), "/a%2Fb%E3");
        assert_eq!(normalise("/100%"), "/100%");
        assert_eq!(normalise("/%zz"), "/%zz");
    }
}
