//! Allow/deny test cases reproducing the data of Google's reference
//! robots.txt matcher test-suite (google/robotstxt, `robots_test.cc`).
//!
//! The robots.txt bodies, URLs, user agents and expected outcomes are taken
//! from that suite; the tests themselves are written independently. Cases
//! that only exercise Google's parse-reporting callbacks are either skipped
//! or, where the behaviour is observable through a decision, adapted (and
//! marked as such).

use super::*;

/// Decision for a raw request path (path + optional query).
fn allowed_path(body: &[u8], agent: &str, path: &str) -> bool {
    Robots::parse(body).decide(agent, path).allowed
}

/// Google's `IsUserAgentAllowed(robotstxt, useragent, url)`.
fn allowed(robots: &str, agent: &str, url: &str) -> bool {
    let url = url::Url::parse(url).expect("test URL parses");
    allowed_path(robots.as_bytes(), agent, &path_of(&url))
}

/// Checks a list of `(url, expected_allowed)` pairs against one body.
fn check(robots: &str, agent: &str, cases: &[(&str, bool)]) {
    for &(url, expected) in cases {
        assert_eq!(
            allowed(robots, agent, url),
            expected,
            "agent {agent:?}, url {url:?}, robots.txt:\n{robots}"
        );
    }
}

// Google: GoogleOnly_SystemTest
#[test]
fn system_test_empty_inputs() {
    let robots = b"user-agent: FooBot\ndisallow: /\n";
    // Google passes an empty URL, whose path it takes to be "/".
    // Empty robots.txt: everything allowed.
    assert!(allowed_path(b"", "FooBot", "/"));
    // Empty user agent matches no group: allowed.
    assert!(allowed_path(robots, "", "/"));
    // The (empty => "/") path is covered by `disallow: /`.
    assert!(!allowed_path(robots, "FooBot", "/"));
    // Everything empty: allowed.
    assert!(allowed_path(b"", "", "/"));
}

// Google: ID_LineSyntax_Line
#[test]
fn line_syntax_line() {
    let correct = "user-agent: FooBot\ndisallow: /\n";
    let incorrect = "foo: FooBot\nbar: /\n";
    // Google-specific: a missing colon is tolerated when the key and value
    // are separated by whitespace.
    let incorrect_accepted = "user-agent FooBot\ndisallow /\n";
    let url = "http://foo.bar/x/y";
    assert!(!allowed(correct, "FooBot", url));
    assert!(allowed(incorrect, "FooBot", url));
    assert!(!allowed(incorrect_accepted, "FooBot", url));
}

// Google: ID_LineSyntax_Groups
#[test]
fn line_syntax_groups() {
    let robots = "allow: /foo/bar/\n\
                  \n\
                  user-agent: FooBot\n\
                  disallow: /\n\
                  allow: /x/\n\
                  user-agent: BarBot\n\
                  disallow: /\n\
                  allow: /y/\n\
                  \n\
                  \n\
                  allow: /w/\n\
                  user-agent: BazBot\n\
                  \n\
                  user-agent: FooBot\n\
                  allow: /z/\n\
                  disallow: /\n";
    let w = "http://foo.bar/w/a";
    let x = "http://foo.bar/x/b";
    let y = "http://foo.bar/y/c";
    let z = "http://foo.bar/z/d";
    let foo = "http://foo.bar/foo/bar/";

    assert!(allowed(robots, "FooBot", x));
    assert!(allowed(robots, "FooBot", z));
    assert!(!allowed(robots, "FooBot", y));
    assert!(allowed(robots, "BarBot", y));
    // Blank lines do not end a group: `allow: /w/` still belongs to BarBot.
    assert!(allowed(robots, "BarBot", w));
    assert!(!allowed(robots, "BarBot", z));
    // BazBot shares the (second) FooBot group.
    assert!(allowed(robots, "BazBot", z));

    // The rule before the first user-agent line belongs to no group.
    assert!(!allowed(robots, "FooBot", foo));
    assert!(!allowed(robots, "BarBot", foo));
    assert!(!allowed(robots, "BazBot", foo));
}

// Google: ID_LineSyntax_Groups_OtherRules
#[test]
fn line_syntax_groups_not_closed_by_other_records() {
    let url = "http://foo.bar/";
    // A sitemap record between two user-agent lines does not end the group.
    let sitemap = "User-agent: BarBot\n\
                   Sitemap: https://foo.bar/sitemap\n\
                   User-agent: *\n\
                   Disallow: /\n";
    assert!(!allowed(sitemap, "FooBot", url));
    assert!(!allowed(sitemap, "BarBot", url));

    // Neither does an unknown record.
    let unknown = "User-agent: FooBot\n\
                   Invalid-Unknown-Line: unknown\n\
                   User-agent: *\n\
                   Disallow: /\n";
    assert!(!allowed(unknown, "FooBot", url));
    assert!(!allowed(unknown, "BarBot", url));
}

// Google: ID_REPLineNamesCaseInsensitive
#[test]
fn record_names_case_insensitive() {
    let bodies = [
        "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n",
        "user-agent: FooBot\nallow: /x/\ndisallow: /\n",
        "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n",
    ];
    for robots in bodies {
        check(
            robots,
            "FooBot",
            &[("http://foo.bar/x/y", true), ("http://foo.bar/a/b", false)],
        );
    }
}

// Google: ID_UserAgentValueCaseInsensitive
#[test]
fn user_agent_value_case_insensitive() {
    // Also relies on the value being cut at the first space ("FOO BAR" => "FOO").
    let bodies = [
        "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n",
        "User-Agent: foo bar\nAllow: /x/\nDisallow: /\n",
        "User-Agent: FoO bAr\nAllow: /x/\nDisallow: /\n",
    ];
    for robots in bodies {
        for agent in ["Foo", "foo"] {
            check(
                robots,
                agent,
                &[("http://foo.bar/x/y", true), ("http://foo.bar/a/b", false)],
            );
        }
    }
}

// Google: GoogleOnly_AcceptUserAgentUpToFirstSpace
#[test]
fn user_agent_value_up_to_first_space() {
    let robots = "User-Agent: *\n\
                  Disallow: /\n\
                  User-Agent: Foo Bar\n\
                  Allow: /x/\n\
                  Disallow: /\n";
    let url = "http://foo.bar/x/y";
    // The record value "Foo Bar" names the product token "Foo".
    assert!(allowed(robots, "Foo", url));
    // Google also checks that a caller passing the whole string "Foo Bar" gets
    // the `*` group (disallowed): callers must pass the bare product token.
    // `decide` takes a bare token, so we check the equivalent consequence:
    // the text after the space names no group, so "Bar" falls back to `*`.
    assert!(!allowed(robots, "Bar", url));
}

// Google: ID_GlobalGroups_Secondary
#[test]
fn global_group_is_fallback() {
    let empty = "";
    let global = "user-agent: *\n\
                  allow: /\n\
                  user-agent: FooBot\n\
                  disallow: /\n";
    let only_specific = "user-agent: FooBot\n\
                         allow: /\n\
                         user-agent: BarBot\n\
                         disallow: /\n\
                         user-agent: BazBot\n\
                         disallow: /\n";
    let url = "http://foo.bar/x/y";
    assert!(allowed(empty, "FooBot", url));
    assert!(!allowed(global, "FooBot", url));
    assert!(allowed(global, "BarBot", url));
    // No matching group and no `*` group: no rules apply.
    assert!(allowed(only_specific, "QuxBot", url));
}

// Google: ID_AllowDisallow_Value_CaseSensitive
#[test]
fn rule_values_case_sensitive() {
    let lower = "user-agent: FooBot\ndisallow: /x/\n";
    let upper = "user-agent: FooBot\ndisallow: /X/\n";
    let url = "http://foo.bar/x/y";
    assert!(!allowed(lower, "FooBot", url));
    assert!(allowed(upper, "FooBot", url));
}

// Google: ID_LongestMatch
#[test]
fn longest_match() {
    let url = "http://foo.bar/x/page.html";

    let robots = "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n";
    assert!(!allowed(robots, "FooBot", url));

    let robots = "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n";
    assert!(allowed(robots, "FooBot", url));
    assert!(!allowed(robots, "FooBot", "http://foo.bar/x/"));

    // Empty values: nothing is disallowed.
    let robots = "user-agent: FooBot\ndisallow: \nallow: \n";
    assert!(allowed(robots, "FooBot", url));

    // Equivalent allow and disallow patterns: allow wins.
    let robots = "user-agent: FooBot\ndisallow: /\nallow: /\n";
    assert!(allowed(robots, "FooBot", url));

    let robots = "user-agent: FooBot\ndisallow: /x\nallow: /x/\n";
    assert!(!allowed(robots, "FooBot", "http://foo.bar/x"));
    assert!(allowed(robots, "FooBot", "http://foo.bar/x/"));

    // Equivalent allow and disallow patterns: allow wins.
    let robots = "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n";
    assert!(allowed(robots, "FooBot", url));

    // Pattern length (octets, wildcards included) decides, not match length.
    let robots = "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n";
    assert!(!allowed(robots, "FooBot", "http://foo.bar/page.html"));
    assert!(allowed(robots, "FooBot", "http://foo.bar/page"));

    let robots = "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n";
    assert!(allowed(robots, "FooBot", url));
    assert!(!allowed(robots, "FooBot", "http://foo.bar/x/y.html"));

    // The specific group replaces `*` entirely, so /x/ is implicitly allowed.
    let robots = "User-agent: *\n\
                  Disallow: /x/\n\
                  User-agent: FooBot\n\
                  Disallow: /y/\n";
    assert!(allowed(robots, "FooBot", "http://foo.bar/x/page"));
    assert!(!allowed(robots, "FooBot", "http://foo.bar/y/page"));
}

// Google: ID_Encoding
#[test]
fn encoding() {
    // Reserved characters in the query stay as they are.
    let robots = "User-agent: FooBot\n\
                  Disallow: /\n\
                  Allow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n";
    assert!(allowed(
        robots,
        "FooBot",
        "http://foo.bar/foo/bar?qux=taz&baz=http://foo.bar?tar&par"
    ));

    // A raw UTF-8 character in a rule is percent-encoded by the parser
    // (ツ => %E3%83%84); an already encoded one is kept as written.
    for robots in [
        "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/ツ\n",
        "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%E3%83%84\n",
    ] {
        assert!(allowed(
            robots,
            "FooBot",
            "http://foo.bar/foo/bar/%E3%83%84"
        ));
        // Google passes the unencoded URL ".../foo/bar/ツ" and expects it NOT to
        // match, only because its matcher never encodes the URL (the caller
        // must). `url::Url` percent-encodes it, so through `path_of` the
        // path is ".../%E3%83%84" and matches the rule.
        assert!(allowed(robots, "FooBot", "http://foo.bar/foo/bar/ツ"));
    }

    // Percent-encoded unreserved characters are not decoded: %62%61%7A is
    // not "baz" (Google notes this is not to be relied on).
    let robots = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n";
    assert!(!allowed(robots, "FooBot", "http://foo.bar/foo/bar/baz"));
    assert!(allowed(
        robots,
        "FooBot",
        "http://foo.bar/foo/bar/%62%61%7A"
    ));
}

// Google: ID_SpecialCharacters
#[test]
fn special_characters() {
    // `*` matches any sequence, including an empty one.
    check(
        "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n",
        "FooBot",
        &[
            ("http://foo.bar/foo/bar/quz", false),
            ("http://foo.bar/foo/quz", true),
            ("http://foo.bar/foo//quz", true),
            ("http://foo.bar/foo/bax/quz", true),
        ],
    );
    // `$` anchors the end of the path.
    check(
        "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n",
        "FooBot",
        &[
            ("http://foo.bar/foo/bar", false),
            ("http://foo.bar/foo/bar/qux", true),
            ("http://foo.bar/foo/bar/", true),
            ("http://foo.bar/foo/bar/baz", true),
        ],
    );
    // `#` starts a comment, both at line start and inside a value.
    check(
        "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n",
        "FooBot",
        &[
            ("http://foo.bar/foo/bar", true),
            ("http://foo.bar/foo/quz", false),
        ],
    );
}

// Google: GoogleOnly_IndexHTMLisDirectory
#[test]
fn index_html_is_directory() {
    let robots = "User-Agent: *\n\
                  Allow: /allowed-slash/index.html\n\
                  Disallow: /\n";
    check(
        robots,
        "foobot",
        &[
            // Allowing index.html also allows the directory itself.
            ("http://foo.com/allowed-slash/", true),
            // Not an exact match.
            ("http://foo.com/allowed-slash/index.htm", false),
            // Exact match.
            ("http://foo.com/allowed-slash/index.html", true),
            ("http://foo.com/anyother-url", false),
        ],
    );
}

// Google: GoogleOnly_LineTooLong
#[test]
fn line_too_long_is_truncated() {
    // Google's line buffer is 2083 * 8 bytes including a terminating NUL, so
    // at most 16663 bytes of each line (record name included) are kept; the
    // rest of the line is dropped (the line itself is still used).
    const MAX_LINE_LEN: usize = 2083 * 8;
    // "/x/" followed by `fill` up to a total of `len` bytes.
    fn long_path(fill: &str, len: usize) -> String {
        format!("/x/{}", fill.repeat(len - "/x/".len()))
    }

    // The disallow line is 16666 bytes; what is kept ends in `longline + "/"`.
    let len = MAX_LINE_LEN - "/x/".len() - "disallow: ".len() + 1;
    let longline = long_path("a", len);
    let robots = format!("user-agent: FooBot\ndisallow: {longline}/qux\n");
    // Matches nothing.
    assert!(allowed(&robots, "FooBot", "http://foo.bar/fux"));
    // Matches the cut-off disallow rule.
    let url = format!("http://foo.bar{longline}/fux");
    assert!(!allowed(&robots, "FooBot", &url));

    // Same with allow lines (again 16666 bytes each).
    let len = MAX_LINE_LEN - "/x/".len() - "allow: ".len() + 1;
    let longline_a = long_path("a", len);
    let longline_b = long_path("b", len);
    let robots = format!(
        "user-agent: FooBot\n\
         disallow: /\n\
         allow: {longline_a}/qux\n\
         allow: {longline_b}/qux\n"
    );
    assert!(!allowed(&robots, "FooBot", "http://foo.bar/"));
    // Matches the (cut-off) allow rule as written.
    let url = format!("http://foo.bar{longline_a}/qux");
    assert!(allowed(&robots, "FooBot", &url));
    // Only matches the cut-off allow rule.
    let url = format!("http://foo.bar{longline_b}/fux");
    assert!(allowed(&robots, "FooBot", &url));
}

// Google: GoogleOnly_DocumentationChecks ("URL matching based on path values")
#[test]
fn documentation_path_values() {
    // "/fish" and "/fish*" are equivalent.
    for rule in ["/fish", "/fish*"] {
        let robots = format!("user-agent: FooBot\ndisallow: /\nallow: {rule}\n");
        check(
            &robots,
            "FooBot",
            &[
                ("http://foo.bar/bar", false),
                ("http://foo.bar/fish", true),
                ("http://foo.bar/fish.html", true),
                ("http://foo.bar/fish/salmon.html", true),
                ("http://foo.bar/fishheads", true),
                ("http://foo.bar/fishheads/yummy.html", true),
                ("http://foo.bar/fish.html?id=anything", true),
                ("http://foo.bar/catfish", false),
                ("http://foo.bar/?id=fish", false),
            ],
        );
    }
    check(
        "user-agent: FooBot\ndisallow: /\nallow: /fish\n",
        "FooBot",
        &[("http://foo.bar/Fish.asp", false)],
    );
    check(
        "user-agent: FooBot\ndisallow: /\nallow: /fish*\n",
        "FooBot",
        &[("http://foo.bar/Fish.bar", false)],
    );

    // "/fish/" is not "/fish".
    check(
        "user-agent: FooBot\ndisallow: /\nallow: /fish/\n",
        "FooBot",
        &[
            ("http://foo.bar/bar", false),
            ("http://foo.bar/fish/", true),
            ("http://foo.bar/fish/salmon", true),
            ("http://foo.bar/fish/?salmon", true),
            ("http://foo.bar/fish/salmon.html", true),
            ("http://foo.bar/fish/?id=anything", true),
            ("http://foo.bar/fish", false),
            ("http://foo.bar/fish.html", false),
            ("http://foo.bar/Fish/Salmon.html", false),
        ],
    );

    check(
        "user-agent: FooBot\ndisallow: /\nallow: /*.php\n",
        "FooBot",
        &[
            ("http://foo.bar/bar", false),
            ("http://foo.bar/filename.php", true),
            ("http://foo.bar/folder/filename.php", true),
            ("http://foo.bar/folder/filename.php?parameters", true),
            ("http://foo.bar//folder/any.php.file.html", true),
            ("http://foo.bar/filename.php/", true),
            ("http://foo.bar/index?f=filename.php/", true),
            ("http://foo.bar/php/", false),
            ("http://foo.bar/index?php", false),
            ("http://foo.bar/windows.PHP", false),
        ],
    );

    check(
        "user-agent: FooBot\ndisallow: /\nallow: /*.php$\n",
        "FooBot",
        &[
            ("http://foo.bar/bar", false),
            ("http://foo.bar/filename.php", true),
            ("http://foo.bar/folder/filename.php", true),
            ("http://foo.bar/filename.php?parameters", false),
            ("http://foo.bar/filename.php/", false),
            ("http://foo.bar/filename.php5", false),
            ("http://foo.bar/php/", false),
            ("http://foo.bar/filename?php", false),
            ("http://foo.bar/aaaphpaaa", false),
            ("http://foo.bar//windows.PHP", false),
        ],
    );

    check(
        "user-agent: FooBot\ndisallow: /\nallow: /fish*.php\n",
        "FooBot",
        &[
            ("http://foo.bar/bar", false),
            ("http://foo.bar/fish.php", true),
            ("http://foo.bar/fishheads/catfish.php?parameters", true),
            ("http://foo.bar/Fish.PHP", false),
        ],
    );
}

// Google: GoogleOnly_DocumentationChecks ("Order of precedence for group-member records")
#[test]
fn documentation_order_of_precedence() {
    let robots = "user-agent: FooBot\nallow: /p\ndisallow: /\n";
    assert!(allowed(robots, "FooBot", "http://example.com/page"));

    // Same length: the less restrictive rule (allow) wins.
    let robots = "user-agent: FooBot\nallow: /folder\ndisallow: /folder\n";
    assert!(allowed(robots, "FooBot", "http://example.com/folder/page"));

    let robots = "user-agent: FooBot\nallow: /page\ndisallow: /*.htm\n";
    assert!(!allowed(robots, "FooBot", "http://example.com/page.htm"));

    // `$` counts towards the pattern length.
    let robots = "user-agent: FooBot\nallow: /$\ndisallow: /\n";
    assert!(allowed(robots, "FooBot", "http://example.com/"));
    assert!(!allowed(robots, "FooBot", "http://example.com/page.html"));
}

// Google: ID_LinesNumbersAreCountedCorrectly (adapted: Google counts the
// directives seen; here the same bodies are checked through decisions)
#[test]
fn line_endings() {
    let bodies = [
        // Unix
        "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /\n",
        // DOS
        "User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n",
        // Classic Mac
        "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r",
        // No final newline
        "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /",
        // Mixed
        "User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /",
    ];
    for robots in bodies {
        check(
            robots,
            "foo",
            &[
                ("http://foo.bar/some/path", true),
                ("http://foo.bar/", true),
            ],
        );
        check(
            robots,
            "bar",
            &[
                ("http://foo.bar/some/path", false),
                ("http://foo.bar/", false),
            ],
        );
    }
}

// Google: ID_UTF8ByteOrderMarkIsSkipped (adapted: Google counts directives and
// uses `Allow: /AnyValue`; here `Disallow` makes the outcome observable)
#[test]
fn utf8_byte_order_mark() {
    let path = "/AnyValue";
    // A full or partial BOM at the very start of the body is skipped.
    for body in [
        &b"\xEF\xBB\xBFUser-Agent: foo\nDisallow: /AnyValue\n"[..],
        &b"\xEF\xBBUser-Agent: foo\nDisallow: /AnyValue\n"[..],
        &b"\xEFUser-Agent: foo\nDisallow: /AnyValue\n"[..],
    ] {
        assert!(!allowed_path(body, "foo", path), "{body:?}");
    }
    // A broken BOM makes the first line garbage ("\x11\xBFUser-Agent: foo"),
    // so the rule that follows belongs to no group.
    let broken = b"\xEF\x11\xBFUser-Agent: foo\nDisallow: /AnyValue\n";
    assert!(allowed_path(broken, "foo", path));
    // A BOM is only skipped at the start of the body: mid-file it spoils the
    // line it prefixes, leaving foo's group without rules.
    let middle = b"User-Agent: foo\n\xEF\xBB\xBFDisallow: /AnyValue\n";
    assert!(allowed_path(middle, "foo", path));
}

// Google: TestGetPathParamsQuery (only inputs that are absolute URLs; Google's
// scheme-less inputs are given an "http:" / "http://" prefix)
#[test]
fn path_of_url() {
    let cases = [
        ("http://www.example.com", "/"),
        ("http://www.example.com/", "/"),
        ("http://www.example.com/a", "/a"),
        ("http://www.example.com/a/", "/a/"),
        (
            "http://www.example.com/a/b?c=http://d.e/",
            "/a/b?c=http://d.e/",
        ),
        (
            "http://www.example.com/a/b?c=d&e=f#fragment",
            "/a/b?c=d&e=f",
        ),
        ("http://example.com", "/"),
        ("http://example.com/", "/"),
        ("http://example.com/a", "/a"),
        ("http://example.com/a/", "/a/"),
        ("http://example.com/a/b?c=d&e=f#fragment", "/a/b?c=d&e=f"),
        ("http://example.com?a", "/?a"),
        ("http://example.com/a;b#c", "/a;b"),
        ("http://a/b/c", "/b/c"),
    ];
    for (input, expected) in cases {
        let url = url::Url::parse(input).expect("test URL parses");
        assert_eq!(path_of(&url), expected, "{input}");
    }
}
