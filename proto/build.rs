//! Generates the ONNX protobuf messages from `proto/onnx.proto`.
//!
//! protox compiles the schema in pure Rust, so building rnnc needs no system
//! `protoc`; prost-build turns the descriptors into Rust, which
//! `src/back/onnx/proto.rs` includes.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/onnx.proto");
    println!("cargo:rerun-if-changed=proto/build.rs");
    let fds = protox::compile(["proto/onnx.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
