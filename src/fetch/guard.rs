//! Which addresses the appliance may connect to.
//!
//! Users add careers URLs through the API, so a URL (or a redirect, or a DNS
//! answer) pointing at loopback, a private range, link-local or another
//! non-public address could make the appliance probe the operator's network.
//! Such targets are refused unless `fetch.allow_private_targets` is set; the
//! demo allows exactly its own site's address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    pub allow_private: bool,
    /// Non-public socket addresses allowed anyway (port 0 = any port).
    pub allowed: Vec<SocketAddr>,
}

impl AddressPolicy {
    /// Whether `addr` may be contacted. An allowlist entry with port 0 covers
    /// every port of its address; otherwise the port must match. DNS answers
    /// carry no port (0 here), so a hostname reaches a non-public address only
    /// through `allow_private` or a port-0 entry.
    pub fn permits(&self, addr: SocketAddr) -> bool {
        self.allow_private
            || is_public(addr.ip())
            || self
                .allowed
                .iter()
                .any(|a| a.ip() == addr.ip() && (a.port() == 0 || a.port() == addr.port()))
    }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 of anything
}

/// A DNS resolver that drops answers the policy refuses.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| policy.permits(*a))
                .collect();
            if kept.is_empty() && !found.is_empty() {
                return Err(Box::new(RefusedTarget(format!(
                    "{host} resolves only to non-public addresses ({}); set fetch.allow_private_targets = true to allow them",
                    found
                        .iter()
                        .map(|a| a.ip().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// A target refused by the address policy.
#[derive(Debug, thiserror::Error)]
#[error("refused target: {0}")]
pub struct RefusedTarget(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:192.168.1.1",
            "::",
            "240.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:1.1.1.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn policy_allows_exact_demo_address() {
        let p = AddressPolicy {
            allow_private: false,
            allowed: vec!["127.0.0.1:4000".parse().unwrap()],
        };
        assert!(p.permits("127.0.0.1:4000".parse().unwrap()));
        assert!(!p.permits("127.0.0.1:8080".parse().unwrap()));
        assert!(!p.permits("10.0.0.1:4000".parse().unwrap()));
        assert!(p.permits("1.1.1.1:80".parse().unwrap()));
        // A name resolving to the demo's address gets no free pass to other ports.
        assert!(!p.permits("127.0.0.1:0".parse().unwrap()));
    }
}
