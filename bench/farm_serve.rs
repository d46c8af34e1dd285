//! Serve a careers-site farm (`bench/farm.rs`) until Ctrl-C, for trying a
//! watcher against it by hand: prints the control address and every site.
//!
//! `cargo bench --bench farm -- --sites 200`

#[path = "farm.rs"]
mod farm;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sites = args
        .iter()
        .position(|a| a == "--sites")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--sites takes a number"))
        .unwrap_or(200);
    let farm = farm::Farm::start(sites);
    println!(
        "control: {} (GET /sites, POST /sites/{{i}}/postings, DELETE /sites/{{i}}/postings/{{id}}, GET /log?after=N)",
        farm.control
    );
    println!(
        "board host (for [fetch.job_boards] greenhouse): {}",
        farm.board
    );
    for s in farm.sites() {
        println!("{:>4} {:<8} {}", s.id, s.kind.name(), s.watch);
    }
    // Serve until interrupted; the farm's runtime runs on its own threads.
    loop {
        std::thread::park();
    }
}
