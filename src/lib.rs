//! rnnc compiles Keras-style recurrent model specs into verified ONNX files.
//!
//! The pipeline is a classic compiler's: [`front`] parses the spec (Keras'
//! own Python syntax) into the typed [`ir`], [`check`] computes shapes,
//! parameter counts and names exactly as Keras does, [`back::onnx`] writes the
//! ONNX file, and [`reference`](mod@reference) is an independent interpreter of Keras'
//! equations that [`verify`] compares with the ONNX file run in tract
//! ([`runtime`]). [`weights`] initializes weights as Keras does or reads them
//! from Keras' files; [`inspect`] describes any ONNX file; [`driver`] runs
//! the stages for a checked spec; [`streaming`] makes the streaming model of
//! a stateful one; [`cli`] holds the commands.

pub(crate) mod atomic;
pub mod back;
pub(crate) mod budget;
pub mod check;
pub mod chunked;
pub mod cli;
pub mod console;
pub(crate) mod diag;
pub mod driver;
pub(crate) mod escape;
pub(crate) mod files;
pub(crate) mod front;
pub mod inspect;
pub mod ir;
pub mod metadata;
pub(crate) mod outputs;
pub(crate) mod progress;
pub(crate) mod reference;
pub mod runtime;
pub mod spec;
pub mod streaming;
pub mod summary;
pub mod tensor;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod verify;
pub mod weights;
