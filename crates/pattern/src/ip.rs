//! IP addresses and CIDR blocks.
//!
//! Both services match `cidr` patterns against string values that hold an
//! IPv4 or IPv6 address. Addresses are widened to `u128` so one range type
//! serves both families; the family is kept so an IPv4 block never matches an
//! IPv6 address.

use std::net::{Ipv4Addr, Ipv6Addr};

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    v6: bool,
    low: u128,
    high: u128,
}

/// A parsed address: family flag and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpValue {
    v6: bool,
    value: u128,
}

impl IpRange {
    /// True if `ip` is of the same family and inside the range.
    pub fn contains(&self, ip: IpValue) -> bool {
        ip.v6 == self.v6 && (self.low..=self.high).contains(&ip.value)
    }
}

/// Parses a literal IPv4 or IPv6 address; anything else is `None`.
pub fn parse_ip(text: &str) -> Option<IpValue> {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return Some(IpValue {
            v6: false,
            value: u128::from(u32::from(v4)),
        });
    }
    text.parse::<Ipv6Addr>().ok().map(|v6| IpValue {
        v6: true,
        value: u128::from(v6),
    })
}

/// The one-address range of a string pattern value that is an IP address
/// literal. event-ruler matches such values as addresses, so
/// `"2001:db8::1"` also matches `"2001:DB8:0:0:0:0:0:1"`.
pub fn literal_address(text: &str) -> Option<IpRange> {
    if !looks_like_ip(text) {
        return None;
    }
    parse_ip(text).map(|ip| IpRange {
        v6: ip.v6,
        low: ip.value,
        high: ip.value,
    })
}

/// True if `text` has the shape event-ruler treats as an IP address literal.
fn looks_like_ip(text: &str) -> bool {
    let v4 = {
        let parts: Vec<&str> = text.split('.').collect();
        parts.len() == 4
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let v6 = text.contains(':') && text.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    v4 || v6
}

/// Parses a CIDR block, with event-ruler's error texts.
///
/// Like event-ruler, the low end of the range is the address as written (host
/// bits are not cleared) and the high end has all host bits set.
pub fn parse_cidr(text: &str) -> Result<IpRange, String> {
    let parts: Vec<&str> = text.split('/').collect();
    // Java's String.split drops trailing empty strings: "10.0.0.0/" has one part.
    let parts: Vec<&str> = match parts.iter().rposition(|p| !p.is_empty()) {
        Some(last) => parts[..=last].to_vec(),
        None => Vec::new(),
    };
    if parts.len() != 2 {
        return Err("Malformed CIDR, one '/' required".to_owned());
    }
    let mask_bits: i64 = parts[1]
        .parse()
        .map_err(|_| "Malformed CIDR, mask bits must be an integer".to_owned())?;
    if mask_bits < 0 {
        return Err("Malformed CIDR, mask bits must not be negative".to_owned());
    }
    let address = parts[0];
    if !looks_like_ip(address) {
        return Err(format!("Nonstandard IP address: {address}"));
    }
    let ip = parse_ip(address).ok_or_else(|| format!("Invalid IP address: {address}"))?;
    let width: i64 = if ip.v6 { 128 } else { 32 };
    if mask_bits >= width {
        return Err(if ip.v6 {
            "IPv6 mask bits must be < 128".to_owned()
        } else {
            "IPv4 mask bits must be < 32".to_owned()
        });
    }
    let host_bits = (width - mask_bits) as u32;
    let host_mask = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    Ok(IpRange {
        v6: ip.v6,
        low: ip.value,
        high: ip.value | host_mask,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_block() {
        let range = parse_cidr("10.0.0.0/24").expect("valid");
        assert!(range.contains(parse_ip("10.0.0.255").expect("ip")));
        assert!(!range.contains(parse_ip("10.0.1.0").expect("ip")));
        assert!(!range.contains(parse_ip("::ffff:10.0.0.1").expect("ip")));
    }

    #[test]
    fn ipv6_block() {
        let range = parse_cidr("2001:db8::/32").expect("valid");
        assert!(range.contains(parse_ip("2001:db8:1::1").expect("ip")));
        assert!(!range.contains(parse_ip("2001:db9::1").expect("ip")));
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_cidr("10.0.0.0").unwrap_err(),
            "Malformed CIDR, one '/' required"
        );
        assert_eq!(
            parse_cidr("10.0.0.0/x").unwrap_err(),
            "Malformed CIDR, mask bits must be an integer"
        );
        assert_eq!(
            parse_cidr("10.0.0.0/32").unwrap_err(),
            "IPv4 mask bits must be < 32"
        );
        assert_eq!(
            parse_cidr("foo/8").unwrap_err(),
            "Nonstandard IP address: foo"
        );
        assert_eq!(
            parse_cidr("999.0.0.0/8").unwrap_err(),
            "Invalid IP address: 999.0.0.0"
        );
    }
}
