//! Sizes in bytes as users write them (`4G`, `512M`, `1.5G`) and as rnnc
//! prints them (`7.6 GiB`).
//!
//! Suffixes are powers of 1024 whether written `G`, `GB` or `GiB`, as
//! `docker --memory` and `ulimit` read them: a memory budget is compared with
//! what the kernel reports, which counts in pages and KiB.

/// Binary unit multipliers, smallest first, with the name printed for each.
const UNITS: [(&str, u64); 5] = [
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

/// Parses a size such as `4G`, `512m`, `1.5GiB` or `1048576` (bytes).
pub fn parse(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let multiplier = multiplier(unit.trim()).ok_or_else(|| {
        format!("unknown unit `{unit}`; write a number with K, M, G or T (powers of 1024), e.g. 4G")
    })?;
    let bytes = match number.split_once('.') {
        None => number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(multiplier)),
        Some((whole, fraction)) => decimal(whole, fraction, multiplier),
    };
    match bytes {
        Some(0) => Err("must be more than 0 bytes".into()),
        Some(bytes) => Ok(bytes),
        None if number.is_empty() => Err("expected a number, e.g. 4G".into()),
        None => Err(format!("`{number}` is not a number of bytes below 16 EiB")),
    }
}

/// The multiplier of a unit suffix (case-insensitive), `None` if unknown.
fn multiplier(unit: &str) -> Option<u64> {
    let unit = unit.to_ascii_lowercase();
    let prefix = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    match prefix {
        "" => Some(1),
        "k" => Some(1 << 10),
        "m" => Some(1 << 20),
        "g" => Some(1 << 30),
        "t" => Some(1 << 40),
        _ => None,
    }
}

/// `whole.fraction × multiplier`, rounded down to whole bytes, without
/// floating point (so `1.5G` is exactly 1610612736).
fn decimal(whole: &str, fraction: &str, multiplier: u64) -> Option<u64> {
    if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    // Digits beyond the 19th cannot change the result by a whole byte of any unit here.
    let digits = &fraction[..fraction.len().min(18)];
    let scale = 10u64.pow(digits.len() as u32);
    let fraction: u64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let fraction_bytes = u128::from(fraction) * u128::from(multiplier) / u128::from(scale);
    whole
        .checked_mul(multiplier)?
        .checked_add(u64::try_from(fraction_bytes).ok()?)
}

/// A byte count for people: `512 B`, `1.0 MiB`, `7.6 GiB`; a count that
/// saturated (an estimate overflowed 64 bits) reads `over 16 EiB`.
pub fn format(bytes: u64) -> String {
    if bytes == u64::MAX {
        return "over 16 EiB".into();
    }
    let (name, unit) = UNITS
        .iter()
        .rev()
        .find(|(_, unit)| bytes >= *unit)
        .copied()
        .unwrap_or(UNITS[0]);
    if unit == 1 {
        format!("{bytes} B")
    } else {
        format!("{:.1} {name}", bytes as f64 / unit as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_binary_suffixes_in_any_spelling() {
        assert_eq!(parse("4G"), Ok(4 << 30));
        assert_eq!(parse("4g"), Ok(4 << 30));
        assert_eq!(parse("4GB"), Ok(4 << 30));
        assert_eq!(parse("4GiB"), Ok(4 << 30));
        assert_eq!(parse(" 512M "), Ok(512 << 20));
        assert_eq!(parse("1k"), Ok(1024));
        assert_eq!(parse("2T"), Ok(2 << 40));
        assert_eq!(parse("1048576"), Ok(1 << 20));
        assert_eq!(parse("100B"), Ok(100));
    }

    #[test]
    fn parses_decimals_exactly() {
        assert_eq!(parse("1.5G"), Ok(3 << 29));
        assert_eq!(parse("0.5K"), Ok(512));
        assert_eq!(parse(".25M"), Ok(1 << 18));
        assert_eq!(parse("2.K"), Ok(2048));
    }

    #[test]
    fn refuses_what_is_not_a_size() {
        for text in ["", "G", "abc", "4X", "4 GBs", "1.2.3G", ".", "-1G"] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
        assert_eq!(parse("0"), Err("must be more than 0 bytes".into()));
        assert!(parse("16777216T").unwrap_err().contains("below 16 EiB"));
        assert!(parse("99999999999999999999").is_err());
    }

    #[test]
    fn formats_with_binary_units() {
        assert_eq!(format(0), "0 B");
        assert_eq!(format(1023), "1023 B");
        assert_eq!(format(1 << 20), "1.0 MiB");
        assert_eq!(format(8_192_256_000), "7.6 GiB");
        assert_eq!(format(3 << 40), "3.0 TiB");
        assert_eq!(format(u64::MAX), "over 16 EiB");
    }
}
