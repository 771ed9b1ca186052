//! Backends: writers from the checked IR to a target format.
//!
//! rnnc has one target, ONNX ([`onnx`]).

pub mod onnx;
