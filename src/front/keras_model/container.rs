//! Finding a model's architecture inside the file Keras saved it to.
//!
//! Keras 3's `model.save("m.keras")` writes a zip holding `config.json` (the
//! serialized model), `metadata.json` (`keras_version`, `date_saved`) and
//! `model.weights.h5`. Keras 2's `model.save("m.h5")`, and Keras 3's legacy
//! writer for the same name, write one HDF5 file whose root attributes hold
//! the serialized model (`model_config`, JSON text), `keras_version` and
//! `backend`, with the weights under `model_weights`. Weights-only files
//! (Keras 3's `.weights.h5`, Keras 2's `save_weights`) hold no architecture.
//!
//! Formats are told apart by their bytes, never by the file name.

use std::io::{BufReader, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use hdf5_reader::{Attribute, Hdf5File};

use super::error::ModelFileError;
use crate::files;

/// The HDF5 superblock signature and the offsets HDF5 looks for it at.
const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";
const HDF5_OFFSETS: [usize; 4] = [0, 512, 1024, 2048];
/// A zip local file header, and the end record of an empty archive.
const ZIP_SIGNATURES: [&[u8]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];

/// The largest `config.json` / `model_config` rnnc reads: 16 MiB. A
/// recurrent model's config is a few kilobytes per layer; the bound keeps a
/// hostile archive (a zip bomb) from costing memory.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The two kinds of model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Keras 3's `.keras` zip archive.
    KerasArchive,
    /// A legacy HDF5 full-model file (`model.save("m.h5")`).
    LegacyH5,
}

impl Format {
    /// How messages name the format.
    pub fn describe(self) -> &'static str {
        match self {
            Format::KerasArchive => "a Keras `.keras` model archive",
            Format::LegacyH5 => "a Keras HDF5 model file",
        }
    }
}

/// What a model file holds besides its weights.
#[derive(Clone, Debug)]
pub struct Container {
    /// The serialized model, JSON text.
    pub config: String,
    /// The Keras version that wrote the file, when recorded.
    pub keras_version: Option<String>,
}

/// Which model-file format `path`'s bytes have, if any: a zip or an HDF5
/// file. Whether it really holds a model is for [`read`] to say.
pub fn sniff(path: &Path) -> Result<Option<Format>, ModelFileError> {
    let file = files::open_regular(path)?;
    let mut head = Vec::new();
    let limit = (HDF5_OFFSETS[HDF5_OFFSETS.len() - 1] + HDF5_SIGNATURE.len()) as u64;
    file.take(limit)
        .read_to_end(&mut head)
        .map_err(|e| ModelFileError::Unreadable {
            path: path.to_path_buf(),
            cause: e.to_string(),
        })?;
    if ZIP_SIGNATURES.iter().any(|s| head.starts_with(s)) {
        return Ok(Some(Format::KerasArchive));
    }
    let hdf5 = HDF5_OFFSETS.iter().any(|&at| {
        head.get(at..)
            .is_some_and(|b| b.starts_with(HDF5_SIGNATURE))
    });
    Ok(hdf5.then_some(Format::LegacyH5))
}

/// Reads the architecture of the model file at `path`.
pub fn read(path: &Path, format: Format) -> Result<Container, ModelFileError> {
    match format {
        Format::KerasArchive => read_archive(path),
        Format::LegacyH5 => read_h5(path),
    }
}

fn read_archive(path: &Path) -> Result<Container, ModelFileError> {
    let damaged = |cause: String| ModelFileError::Damaged {
        path: path.to_path_buf(),
        format: Format::KerasArchive,
        cause,
    };
    let file = files::open_regular(path)?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        damaged(format!(
            "the zip archive cannot be opened ({e}); is it truncated?"
        ))
    })?;
    if zip.index_for_name("config.json").is_none() {
        if zip.index_for_name("model.weights.h5").is_none() {
            return Err(ModelFileError::NotAModelFile {
                path: path.to_path_buf(),
            });
        }
        let members: Vec<String> = zip.file_names().map(str::to_string).collect();
        return Err(ModelFileError::NoArchitecture {
            path: path.to_path_buf(),
            what: format!(
                "a zip archive without `config.json` (it holds {})",
                if members.is_empty() {
                    "nothing".to_string()
                } else {
                    members.join(", ")
                }
            ),
        });
    }
    let mut member = |name: &str| -> Result<Option<String>, ModelFileError> {
        let Some(index) = zip.index_for_name(name) else {
            return Ok(None);
        };
        let entry = zip
            .by_index(index)
            .map_err(|e| damaged(format!("cannot read `{name}` ({e})")))?;
        let mut bytes = Vec::new();
        entry
            .take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| damaged(format!("cannot read `{name}` ({e}); is it truncated?")))?;
        if bytes.len() as u64 > MAX_CONFIG_BYTES {
            return Err(damaged(format!(
                "`{name}` is larger than {MAX_CONFIG_BYTES} bytes, the most rnnc reads"
            )));
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| damaged(format!("`{name}` is not UTF-8 text")))
    };
    let config = member("config.json")?.unwrap_or_default();
    let keras_version = match member("metadata.json")? {
        Some(text) => serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("keras_version")?.as_str().map(str::to_string)),
        None => None,
    };
    Ok(Container {
        config,
        keras_version,
    })
}

fn read_h5(path: &Path) -> Result<Container, ModelFileError> {
    let damaged = |cause: String| ModelFileError::Damaged {
        path: path.to_path_buf(),
        format: Format::LegacyH5,
        cause,
    };
    // The HDF5 reader can panic on corrupt structures; a panic is a
    // damaged file, not a crash.
    let read = || -> Result<Container, ModelFileError> {
        let file = Hdf5File::open(path).map_err(|e| damaged(format!("{e}; is it truncated?")))?;
        let root = file
            .root_group()
            .map_err(|e| damaged(format!("its root group cannot be read ({e})")))?;
        let attributes = root
            .attributes()
            .map_err(|e| damaged(format!("its root attributes cannot be read ({e})")))?;
        let text = |name: &str| string_attribute(&attributes, name);
        let Some(config) = text("model_config") else {
            let weights_only = root.group("layers").is_ok()
                || attributes
                    .iter()
                    .any(|a| a.name == "layer_names" || a.name == "layer_names0");
            return Err(ModelFileError::NoArchitecture {
                path: path.to_path_buf(),
                what: if weights_only {
                    "a weights-only file (`save_weights`), with no `model_config`".to_string()
                } else {
                    "an HDF5 file without a `model_config` attribute".to_string()
                },
            });
        };
        if config.len() as u64 > MAX_CONFIG_BYTES {
            return Err(damaged(format!(
                "its `model_config` is larger than {MAX_CONFIG_BYTES} bytes, the most rnnc reads"
            )));
        }
        Ok(Container {
            config,
            keras_version: text("keras_version"),
        })
    };
    catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(damaged(
            "the HDF5 reader failed on corrupt data; is it truncated?".into(),
        ))
    })
}

/// A text attribute, stored as one variable- or fixed-length string.
fn string_attribute(attributes: &[Attribute], name: &str) -> Option<String> {
    let attribute = attributes.iter().find(|a| a.name == name)?;
    attribute
        .read_strings()
        .ok()
        .and_then(|mut all| (all.len() == 1).then(|| all.remove(0)))
        .or_else(|| attribute.read_string().ok())
}

/// Whether a `keras_version` is Keras 1's or 2's.
pub fn is_keras2_version(version: &str) -> bool {
    version.starts_with("1.") || version.starts_with("2.")
}

/// Whether the HDF5 file at `path` was written by Keras 1 or 2: its
/// `keras_version` says so, or it has none and the legacy layout (Keras 3's
/// `.weights.h5` has a `layers/` group). A file that cannot be read says
/// nothing (its reader reports why).
pub fn h5_written_by_keras2(path: &Path) -> bool {
    let read = || -> Option<bool> {
        let file = Hdf5File::open(path).ok()?;
        let root = file.root_group().ok()?;
        let attributes = root.attributes().ok()?;
        Some(match string_attribute(&attributes, "keras_version") {
            Some(version) => is_keras2_version(&version),
            None => root.group("layers").is_err(),
        })
    };
    catch_unwind(AssertUnwindSafe(read))
        .ok()
        .flatten()
        .unwrap_or(false)
}
