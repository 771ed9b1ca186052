//! rnnc compiles Keras-style recurrent model specs into verified ONNX files.
//!
//! The pipeline is a classic compiler's: [`front`] parses the spec (Keras'
//! own Python syntax) into the typed [`ir`], [`check`] computes shapes,
//! parameter counts and names exactly as Keras does, [`back::onnx`] writes the
//! ONNX file, and [`reference`] is an independent interpreter of Keras'
//! equations that [`verify`] compares with the ONNX file run in tract.

pub mod back;
pub mod check;
pub mod diag;
pub mod ir;
pub mod weights;
