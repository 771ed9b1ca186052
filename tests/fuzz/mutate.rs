//! Byte-level mutations of real files: the faults a damaged download, a
//! hostile sender or a buggy writer produce (bit flips, truncation, spliced
//! or repeated regions, header fields set to extreme values).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Values that sit on the edges of integer fields: zero, one, sign bits,
/// all-ones. Written little-endian over a header field, they are the "huge
/// number" and "negative length" cases.
const EDGE_VALUES: [u64; 8] = [
    0,
    1,
    0x7f,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    u64::MAX,
];

/// Most mutations applied to one case: few enough that the file stays close
/// to a real one and reaches past the first format check.
const MAX_MUTATIONS: usize = 4;

/// What the mutator may do.
#[derive(Clone, Copy, Debug)]
pub struct Mutator {
    /// Whether ASCII numbers may be replaced with huge ones. Off for `.npy`
    /// headers while the abort on huge declared shapes (repro 03, fixed on
    /// another branch) is open: every such case would be that one crash.
    pub huge_text_numbers: bool,
    /// Whether binary fields may be set to [`EDGE_VALUES`].
    pub edge_values: bool,
}

impl Mutator {
    /// `seed` with 1 to [`MAX_MUTATIONS`] mutations applied; `donors` are
    /// other files of the same format to splice from.
    pub fn mutate(self, rng: &mut ChaCha8Rng, seed: &[u8], donors: &[&[u8]]) -> Vec<u8> {
        let mut data = seed.to_vec();
        for _ in 0..rng.random_range(1..=MAX_MUTATIONS) {
            self.mutate_once(rng, &mut data, donors);
        }
        data
    }

    fn mutate_once(self, rng: &mut ChaCha8Rng, data: &mut Vec<u8>, donors: &[&[u8]]) {
        if data.is_empty() {
            data.push(rng.random());
            return;
        }
        let len = data.len();
        let at = rng.random_range(0..len);
        match rng.random_range(0..9u32) {
            0 => data[at] ^= 1 << rng.random_range(0..8),
            1 => data[at] = [0, 0xff, 0x7f, 0x80, b'(', b'[', b'\''][rng.random_range(0..7)],
            2 => data.truncate(at),
            3 => {
                let end = (at + rng.random_range(1..=64)).min(len);
                data.drain(at..end);
            }
            4 => {
                let end = (at + rng.random_range(1..=64)).min(len);
                let copy = data[at..end].to_vec();
                let to = rng.random_range(0..=data.len());
                data.splice(to..to, copy);
            }
            5 if !donors.is_empty() => {
                let donor = donors[rng.random_range(0..donors.len())];
                if !donor.is_empty() {
                    let from = rng.random_range(0..donor.len());
                    let end = (from + rng.random_range(1..=256)).min(donor.len());
                    let to_end = (at + (end - from)).min(len);
                    data.splice(at..to_end, donor[from..end].iter().copied());
                }
            }
            6 => {
                let noise: Vec<u8> = (0..rng.random_range(1..=16))
                    .map(|_| rng.random())
                    .collect();
                data.splice(at..at, noise);
            }
            7 if self.edge_values => {
                let value = EDGE_VALUES[rng.random_range(0..EDGE_VALUES.len())];
                let width = [2usize, 4, 8][rng.random_range(0..3)];
                let end = (at + width).min(len);
                data[at..end].copy_from_slice(&value.to_le_bytes()[..end - at]);
            }
            8 if self.huge_text_numbers => replace_number(rng, data, at),
            _ => data[at] = rng.random(),
        }
    }
}

/// Replaces the ASCII number at or after `at` with a huge one (a shape
/// `(3, 4)` becoming `(3, 99999999999)`).
fn replace_number(rng: &mut ChaCha8Rng, data: &mut Vec<u8>, at: usize) {
    let Some(start) = data[at..]
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| p + at)
    else {
        return;
    };
    let end = data[start..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .map_or(data.len(), |p| p + start);
    let huge = [
        "99999999999",
        "18446744073709551615",
        "4294967296",
        "-1",
        "0",
    ][rng.random_range(0..5)];
    data.splice(start..end, huge.bytes());
}
