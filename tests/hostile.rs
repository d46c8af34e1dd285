//! Hostile pages cannot hurt: a raw TCP server on loopback misbehaves in
//! every way a careers page could, and each fetch ends within the configured
//! time and byte limits with a failure class, while the process's memory
//! comes back to where it was.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use scoutly::config::Config;
use scoutly::extract::{self, LinkFilter};
use scoutly::fetch::{FailureClass, Fetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The default `fetch.max_body`.
const MAX_BODY: u64 = 5 * 1024 * 1024;

/// A gzip stream of 64 MiB of zeros (about 64 KiB compressed).
fn gzip_bomb() -> Vec<u8> {
    let mut child = std::process::Command::new("gzip")
        .args(["-c", "-9"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip is installed");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            stdin.write_all(&zeros).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out.stdout
}

fn page(extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n{extra_headers}Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Serves one request per connection. Every answer says `Connection: close`:
/// otherwise the client may reuse a socket this server has already dropped
/// and see a reset instead of the page.
async fn handle(mut sock: TcpStream, bomb: std::sync::Arc<Vec<u8>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let chunk = vec![b'a'; 64 * 1024];
    let _ = match path.as_str() {
        "/slow-headers" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        }
        "/trickle" => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<html>")
                .await;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if sock.write_all(b"<").await.is_err() {
                    break Ok(());
                }
            }
        }
        "/huge" | "/huge-unannounced" => {
            let head = if path == "/huge" {
                "HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n"
            } else {
                "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
            };
            let _ = sock.write_all(head.as_bytes()).await;
            for _ in 0..(200 * 16) {
                if sock.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            Ok(())
        }
        "/chunked" => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await;
            loop {
                let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
                c.extend_from_slice(&chunk);
                c.extend_from_slice(b"\r\n");
                if sock.write_all(&c).await.is_err() {
                    break Ok(());
                }
            }
        }
        "/gzip" => sock.write_all(&page("Content-Encoding: gzip\r\n", &bomb)).await,
        "/loop" => {
            sock.write_all(b"HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await
        }
        "/private" => {
            sock.write_all(
                b"HTTP/1.1 302 Found\r\nLocation: http://10.1.2.3/admin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await
        }
        "/bad-charset" => {
            let mut body = b"<html><meta charset=utf-8><ul>".to_vec();
            body.extend_from_slice(b"<li><a href=/jobs/1-ing\xe9nieur>Ing\xe9nieur \xff\xfe</a></li>");
            body.extend_from_slice(b"<li><a href=/jobs/2-designer>Designer</a></li></ul>");
            sock.write_all(&page("", &body)).await
        }
        "/deep" => {
            let mut body = "<div>".repeat(10_000);
            body.push_str("<ul><li><a href=/jobs/1-engineer>Engineer</a></li><li><a href=/jobs/2-analyst>Analyst</a></li></ul>");
            body.push_str(&"</div>".repeat(10_000));
            sock.write_all(&page("", body.as_bytes())).await
        }
        "/many-links" => {
            let mut body = String::from("<ul>");
            for i in 0..100_000 {
                body.push_str(&format!("<li><a href=/jobs/{}>Job {i}</a></li>", 100_000 + i));
            }
            body.push_str("</ul>");
            sock.write_all(&page("", body.as_bytes())).await
        }
        _ => {
            sock.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await
        }
    };
}

fn start_server() -> SocketAddr {
    let bomb = std::sync::Arc::new(gzip_bomb());
    assert!(bomb.len() < 200 * 1024, "a real bomb: {} bytes", bomb.len());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (sock, _) = listener.accept().await.unwrap();
                tokio::spawn(handle(sock, bomb.clone()));
            }
        });
    });
    rx.recv().unwrap()
}

/// Resident set of this process in bytes, after giving freed memory back.
fn rss() -> u64 {
    scoutly::memory::trim();
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions. The page is 16 KiB on a Pi 5's
    // kernel, 4 KiB on most others.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    pages * page
}

#[test]
fn hostile_pages_end_within_the_limits_are_classified_and_memory_returns() {
    // As `scoutly run` does at start-up.
    scoutly::memory::limit_arenas();
    let addr = start_server();
    let mut cfg = Config::defaults();
    cfg.fetch.allowed_private = vec![addr];
    cfg.fetch.timeout = Duration::from_millis(1500);
    cfg.fetch.connect_timeout = Duration::from_secs(1);
    cfg.fetch.max_body = MAX_BODY;
    cfg.fetch.max_redirects = 5;
    cfg.politeness.delay = Duration::ZERO;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fetcher = Fetcher::new(&cfg).unwrap();
    let url = |p: &str| format!("http://{addr}{p}").parse().unwrap();
    let filter = LinkFilter::new(&[], &[]).unwrap();
    // Warm up (robots.txt, connection pool, allocator) before measuring.
    let _ = rt.block_on(fetcher.get(&url("/bad-charset"))).unwrap();
    let before = rss();

    let failures = [
        ("/slow-headers", FailureClass::Timeout),
        ("/trickle", FailureClass::Timeout),
        ("/huge", FailureClass::TooLarge),
        ("/huge-unannounced", FailureClass::TooLarge),
        ("/chunked", FailureClass::TooLarge),
        ("/loop", FailureClass::TooManyRedirects),
        ("/private", FailureClass::UnsafeRedirect),
    ];
    for (path, class) in failures {
        let started = std::time::Instant::now();
        let err = rt.block_on(fetcher.get(&url(path))).unwrap_err();
        assert_eq!(err.class, class, "{path}: {err}");
        // Ends within the configured limits (generous bound: the test
        // asserts "ends", not "is fast").
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{path} did not end"
        );
    }

    // A gzip bomb is never inflated: Scoutly asks for no compression, so the
    // page is its compressed bytes (under the cap), and no job links.
    let bomb = rt.block_on(fetcher.get(&url("/gzip"))).unwrap();
    assert!(bomb.body.len() < 200 * 1024);
    let found = extract::job_links(&bomb.body, &bomb.url, &filter).unwrap();
    assert!(found.jobs.is_empty());

    // Bad bytes, deep nesting and a flood of links still parse.
    let cases: [(&str, usize); 3] = [("/bad-charset", 2), ("/deep", 2), ("/many-links", 100_000)];
    for (path, links) in cases {
        let page = rt.block_on(fetcher.get(&url(path))).unwrap();
        let found = extract::job_links(&page.body, &page.url, &filter)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(found.jobs.len(), links, "{path}");
        drop(found);
    }

    let after = rss();
    let grown = after.saturating_sub(before);
    eprintln!(
        "resident set: {} KiB before the hostile pages, {} KiB after",
        before / 1024,
        after / 1024
    );
    assert!(
        grown < 12 * 1024 * 1024,
        "memory grew by {} KiB (from {} to {} KiB)",
        grown / 1024,
        before / 1024,
        after / 1024
    );
}
