//! An open-loop HTTP load generator: requests leave on a fixed schedule
//! (`rate` a second, spread over keep-alive connections with a thread
//! each), and a request's latency counts from when it was due, not from
//! when it was sent. A slow answer therefore also charges the requests
//! queued behind it, as a real fixed-rate client would see them (no
//! coordinated omission). Threads sleep with `nanosleep`, which wakes
//! within tens of microseconds; tokio's millisecond timer would add up to
//! a millisecond to every latency.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::cpu::thread_cpu;

pub struct Report {
    /// Requests answered, and answered with a status other than 2xx.
    pub answered: u64,
    pub non_2xx: u64,
    /// Connections that failed (and were opened again).
    pub errors: u64,
    /// Requests answered per second over the window.
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// The 99th percentile from when each request was sent: the server's
    /// share of the latency, without the generator's own delays.
    pub p99_sent_ms: f64,
    /// Share of requests sent more than 200 µs after they were due: the
    /// generator itself falling behind (it should stay near 0).
    pub late: f64,
    /// CPU the generator's threads used, seconds.
    pub cpu_secs: f64,
}

struct Conn {
    addr: SocketAddr,
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        Ok(Conn {
            addr,
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Send `request` and read one whole answer; returns its status.
    fn exchange(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.stream.write_all(request)?;
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let status: u16 = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| std::io::Error::other("no status line"))?;
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .ok_or_else(|| std::io::Error::other("answer without content-length"))?;
                let total = end + 4 + len;
                while self.buf.len() < total {
                    let n = self.stream.read(&mut chunk)?;
                    if n == 0 {
                        return Err(std::io::Error::other("closed mid-answer"));
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                self.buf.drain(..total);
                return Ok(status);
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::Error::other("closed before answering"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

struct Lane {
    latencies: Vec<u32>,
    service: Vec<u32>,
    non_2xx: u64,
    errors: u64,
    late: u64,
    cpu: Duration,
}

/// Send `GET path` at `rate` requests a second over `conns` connections
/// for `window`.
pub fn run(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    rate: f64,
    conns: usize,
    window: Duration,
) -> Report {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}\r\n").into_bytes();
    let period = Duration::from_secs_f64(conns as f64 / rate);
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + window;
    let lanes: Vec<Lane> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..conns)
            .map(|k| {
                let request = &request;
                s.spawn(move || {
                    let cpu0 = thread_cpu();
                    let mut conn = Conn::open(addr).expect("connect");
                    let mut lane = Lane {
                        latencies: Vec::with_capacity(
                            (window.as_secs_f64() / period.as_secs_f64()) as usize + 1,
                        ),
                        service: Vec::new(),
                        non_2xx: 0,
                        errors: 0,
                        late: 0,
                        cpu: Duration::ZERO,
                    };
                    // Lanes are staggered so the requests spread evenly.
                    let first = start + period.mul_f64(k as f64 / conns as f64);
                    for n in 0u32.. {
                        let due = first + period * n;
                        if due >= end {
                            break;
                        }
                        let now = Instant::now();
                        if due > now {
                            std::thread::sleep(due - now);
                        }
                        let sent = Instant::now();
                        if sent.duration_since(due) > Duration::from_micros(200) {
                            lane.late += 1;
                        }
                        match conn.exchange(request) {
                            Ok(status) => {
                                if !(200..300).contains(&status) {
                                    lane.non_2xx += 1;
                                }
                                let done = Instant::now();
                                let us = |from: Instant| {
                                    done.duration_since(from).as_micros().min(u32::MAX as u128)
                                        as u32
                                };
                                lane.latencies.push(us(due));
                                lane.service.push(us(sent));
                            }
                            Err(_) => {
                                lane.errors += 1;
                                conn = Conn::open(conn.addr).expect("reconnect");
                            }
                        }
                    }
                    lane.cpu = thread_cpu() - cpu0;
                    lane
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<u32> = lanes
        .iter()
        .flat_map(|l| l.latencies.iter().copied())
        .collect();
    all.sort_unstable();
    let mut service: Vec<u32> = lanes
        .iter()
        .flat_map(|l| l.service.iter().copied())
        .collect();
    service.sort_unstable();
    let at = |sorted: &[u32], p: f64| -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[i] as f64 / 1000.0
    };
    let pct = |p: f64| at(&all, p);
    let answered = all.len() as u64;
    Report {
        answered,
        non_2xx: lanes.iter().map(|l| l.non_2xx).sum(),
        errors: lanes.iter().map(|l| l.errors).sum(),
        rate: answered as f64 / window.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        p999_ms: pct(0.999),
        max_ms: pct(1.0),
        p99_sent_ms: at(&service, 0.99),
        late: lanes.iter().map(|l| l.late).sum::<u64>() as f64 / answered.max(1) as f64,
        cpu_secs: lanes.iter().map(|l| l.cpu.as_secs_f64()).sum(),
    }
}
