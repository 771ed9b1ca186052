//! Checked `.npy` reading: a header is read and checked against the bytes
//! really there before anything sized by it is allocated.
//!
//! An `.npy` header is a Python dict literal declaring the element type and
//! the shape; a 128-byte file may declare a 400 GB shape. ndarray-npy
//! allocates what the header declares before it reads the data, so every
//! reader in rnnc goes through [`read_header`] first and compares
//! [`NpyHeader::data_bytes`] with the length of the file (or zip member); only
//! then is the data decoded ([`NpyHeader::read_f32`], [`NpyHeader::read_tensor`]).

use std::io::Read;

use ndarray::ArrayD;
use ndarray_npy::{npy::header::Header, ReadNpyExt, ReadableElement};

use super::TensorData;

/// The `.npy` magic string (numpy's `numpy.lib.format.MAGIC_PREFIX`).
const MAGIC: &[u8] = b"\x93NUMPY";

/// The largest header rnnc reads: numpy's own `_MAX_HEADER_SIZE` (numpy ≥
/// 1.24 refuses longer headers unless told to trust the file). A version 2
/// header may otherwise declare a 4 GiB length.
const MAX_HEADER_LEN: usize = 10_000;

/// How deeply brackets may nest in a header. A plain array's header nests 2
/// levels (the dict, the shape tuple); structured dtypes, which rnnc does not
/// read, nest a few more. The Python-literal parser recurses per level, so a
/// header of thousands of `(` must be refused before it is parsed.
const MAX_HEADER_NESTING: usize = 8;

/// Element types of `.npy` data rnnc reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NpyDtype {
    F32,
    F64,
    I32,
    I64,
}

impl NpyDtype {
    /// Bytes per element.
    fn size(self) -> u64 {
        match self {
            NpyDtype::F32 | NpyDtype::I32 => 4,
            NpyDtype::F64 | NpyDtype::I64 => 8,
        }
    }

    /// numpy's name for it.
    pub fn name(self) -> &'static str {
        match self {
            NpyDtype::F32 => "float32",
            NpyDtype::F64 => "float64",
            NpyDtype::I32 => "int32",
            NpyDtype::I64 => "int64",
        }
    }

    /// The element type of a descriptor ndarray-npy decodes: `<f4`, `>i8`, …
    fn from_descr(descr: &str) -> Option<NpyDtype> {
        let kind = descr.strip_prefix(['<', '>'])?;
        match kind {
            "f4" => Some(NpyDtype::F32),
            "f8" => Some(NpyDtype::F64),
            "i4" => Some(NpyDtype::I32),
            "i8" => Some(NpyDtype::I64),
            _ => None,
        }
    }
}

/// Why `.npy` bytes cannot be read. The caller names the file or member.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    #[error("it is not an .npy array: {0}")]
    Format(String),
    #[error("it holds {descr} values; rnnc reads float32, float64, int32 and int64 arrays")]
    Dtype { descr: String },
    #[error("its header declares shape {shape} of {dtype}, a size that overflows")]
    Overflow { shape: String, dtype: &'static str },
    #[error(
        "its header declares shape {shape} of {dtype} ({expected} bytes of data), \
         but it holds {actual} bytes of data"
    )]
    Length {
        shape: String,
        dtype: &'static str,
        expected: u64,
        actual: u64,
    },
    #[error("its data cannot be read: {0}")]
    Data(String),
}

/// A checked `.npy` header, with the bytes it was read from so that the
/// array can be decoded from the same stream.
#[derive(Debug)]
pub struct NpyHeader {
    /// The element type.
    pub dtype: NpyDtype,
    /// The declared shape.
    pub shape: Vec<usize>,
    /// The bytes of the magic string, version, length and header dict.
    prefix: Vec<u8>,
}

/// Reads and checks the header at the start of `reader`, leaving `reader`
/// at the first data byte.
pub fn read_header(reader: &mut impl Read) -> Result<NpyHeader, NpyError> {
    let format = |what: &str| NpyError::Format(what.to_string());
    let mut prefix = vec![0u8; MAGIC.len() + 2];
    reader
        .read_exact(&mut prefix)
        .map_err(|_| format("the file is shorter than the .npy magic string and version"))?;
    if !prefix.starts_with(MAGIC) {
        return Err(format("it does not start with the .npy magic string"));
    }
    let len_bytes = match prefix[MAGIC.len()] {
        1 => 2,
        2 | 3 => 4,
        v => return Err(NpyError::Format(format!("unknown .npy format version {v}"))),
    };
    let mut len = vec![0u8; len_bytes];
    reader
        .read_exact(&mut len)
        .map_err(|_| format("the header length is cut off"))?;
    let header_len = len
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if header_len > MAX_HEADER_LEN {
        return Err(NpyError::Format(format!(
            "its header declares {header_len} bytes, more than numpy's limit of {MAX_HEADER_LEN}"
        )));
    }
    prefix.extend_from_slice(&len);
    let dict_start = prefix.len();
    prefix.resize(dict_start + header_len, 0);
    reader
        .read_exact(&mut prefix[dict_start..])
        .map_err(|_| format("the header is cut off"))?;
    if nesting(&prefix[dict_start..]) > MAX_HEADER_NESTING {
        return Err(format("its header nests brackets too deeply"));
    }
    let header = Header::from_reader(&mut prefix.as_slice())
        .map_err(|e| NpyError::Format(format!("bad header ({e})")))?;
    // The descriptor is a Python literal; a plain dtype is a string, which
    // prints quoted: `'<f4'`.
    let descr = header.type_descriptor.to_string();
    let dtype = descr
        .strip_prefix('\'')
        .and_then(|d| d.strip_suffix('\''))
        .and_then(NpyDtype::from_descr)
        .ok_or(NpyError::Dtype { descr })?;
    Ok(NpyHeader {
        dtype,
        shape: header.shape,
        prefix,
    })
}

/// The deepest nesting of brackets in `text`.
fn nesting(text: &[u8]) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0;
    for &b in text {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A shape as numpy prints it: `(100000, 10)`, `(5,)`, `()`.
pub fn shape_text(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl NpyHeader {
    /// The bytes of data the header declares, or an error if that overflows.
    /// A zero axis does not excuse the others: ndarray (and so ndarray-npy)
    /// requires the product of the non-zero axes to fit `isize`, and panics
    /// on `(0, 2**64-1, 6)` otherwise.
    pub fn data_bytes(&self) -> Result<u64, NpyError> {
        let overflow = || NpyError::Overflow {
            shape: shape_text(&self.shape),
            dtype: self.dtype.name(),
        };
        let non_zero = self
            .shape
            .iter()
            .try_fold(self.dtype.size(), |acc, &d| {
                acc.checked_mul((d as u64).max(1))
            })
            .filter(|&bytes| bytes <= isize::MAX as u64)
            .ok_or_else(overflow)?;
        Ok(if self.shape.contains(&0) { 0 } else { non_zero })
    }

    /// Checks that a file or member of `total` bytes (header included) holds
    /// exactly the data the header declares.
    pub fn check_length(&self, total: u64) -> Result<(), NpyError> {
        let expected = self.data_bytes()?;
        let actual = total.saturating_sub(self.prefix.len() as u64);
        if actual == expected {
            return Ok(());
        }
        Err(NpyError::Length {
            shape: shape_text(&self.shape),
            dtype: self.dtype.name(),
            expected,
            actual,
        })
    }

    /// Decodes the data that follows the header in `rest` as float32
    /// (float64 rounded to float32); integers are refused as a dtype error.
    /// Call [`check_length`](Self::check_length) first.
    pub fn read_f32(self, rest: impl Read) -> Result<ArrayD<f32>, NpyError> {
        match self.dtype {
            NpyDtype::F32 => self.decode(rest),
            NpyDtype::F64 => Ok(self.decode::<f64>(rest)?.mapv(|v| v as f32)),
            NpyDtype::I32 | NpyDtype::I64 => Err(NpyError::Dtype {
                descr: self.dtype.name().to_string(),
            }),
        }
    }

    /// Decodes the data that follows the header in `rest` (float64 rounded
    /// to float32). Call [`check_length`](Self::check_length) first.
    pub fn read_tensor(self, rest: impl Read) -> Result<TensorData, NpyError> {
        Ok(match self.dtype {
            NpyDtype::F32 => TensorData::F32(self.decode(rest)?),
            NpyDtype::F64 => TensorData::F32(self.decode::<f64>(rest)?.mapv(|v| v as f32)),
            NpyDtype::I32 => TensorData::I32(self.decode(rest)?),
            NpyDtype::I64 => TensorData::I64(self.decode(rest)?),
        })
    }

    /// Hands the header and the rest of the stream to ndarray-npy, whose
    /// allocation the length check has bounded.
    fn decode<T: ReadableElement>(self, rest: impl Read) -> Result<ArrayD<T>, NpyError> {
        ArrayD::<T>::read_npy(self.prefix.as_slice().chain(rest))
            .map_err(|e| NpyError::Data(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `.npy` file of `header` (a dict literal) followed by `data`.
    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut h = header.as_bytes().to_vec();
        let pad = (64 - (MAGIC.len() + 4 + h.len() + 1) % 64) % 64;
        h.extend(std::iter::repeat_n(b' ', pad));
        h.push(b'\n');
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(h.len() as u16).to_le_bytes());
        bytes.extend_from_slice(&h);
        bytes.extend_from_slice(data);
        bytes
    }

    fn header_of(bytes: &[u8]) -> Result<NpyHeader, NpyError> {
        let header = read_header(&mut &bytes[..])?;
        header.check_length(bytes.len() as u64)?;
        Ok(header)
    }

    #[test]
    fn a_huge_declared_shape_is_refused_before_allocating() {
        let bytes = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 10), }",
            &[],
        );
        let err = header_of(&bytes).unwrap_err().to_string();
        assert_eq!(
            err,
            "its header declares shape (100000, 100000, 10) of float32 \
             (400000000000 bytes of data), but it holds 0 bytes of data"
        );
    }

    #[test]
    fn an_overflowing_shape_is_an_error() {
        let bytes = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551615, 2), }",
            &[],
        );
        let err = header_of(&bytes).unwrap_err();
        assert!(matches!(err, NpyError::Overflow { .. }), "{err}");
        let bytes = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 18446744073709551615, 6), }",
            &[],
        );
        let err = header_of(&bytes).unwrap_err();
        assert!(matches!(err, NpyError::Overflow { .. }), "{err}");
    }

    #[test]
    fn deep_or_long_headers_are_refused() {
        let deep = format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': {}{}, }}",
            "(".repeat(4000),
            ")".repeat(4000)
        );
        let err = header_of(&npy(&deep, &[])).unwrap_err().to_string();
        assert!(err.contains("too deeply"), "{err}");

        let mut long = MAGIC.to_vec();
        long.extend_from_slice(&[2, 0]);
        long.extend_from_slice(&u32::MAX.to_le_bytes());
        let err = header_of(&long).unwrap_err().to_string();
        assert!(err.contains("numpy's limit"), "{err}");
    }

    #[test]
    fn a_well_formed_array_reads_back() {
        let data: Vec<u8> = [1.5f64, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let bytes = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            &data,
        );
        let header = header_of(&bytes).unwrap();
        let rest = &bytes[header.prefix.len()..];
        let array = header.read_f32(rest).unwrap();
        assert_eq!(array.as_slice().unwrap(), &[1.5f32, -2.0]);
    }

    #[test]
    fn unsupported_dtypes_name_their_descriptor() {
        let bytes = npy(
            "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }",
            &[0; 12],
        );
        let err = header_of(&bytes).unwrap_err().to_string();
        assert!(err.contains("'<U3'"), "{err}");
    }
}
