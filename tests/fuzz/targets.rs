//! The fuzz targets: what each one feeds rnnc, the real files its inputs
//! are grown from, and the call it makes, as the CLI makes it.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rnnc::back::onnx::{self as backend, proto::ModelProto, EmitOptions};
use rnnc::spec::Spec;
use rnnc::tensor::TensorData;

use crate::grammar;
use crate::mutate::Mutator;

/// Separates the oracle case whose spec a weights input belongs to from the
/// rest of a corpus file name: `tutorial_simple_rnn--abc123.weights.h5`.
pub const CASE_SEPARATOR: &str = "--";

/// Largest payload a generated `.npy` header declares while the allocation
/// abort on huge declared shapes (issue 7, repro 03) is being fixed on
/// another branch: far above any fixture, far below [`crate::alloc::CAP_BYTES`].
const MAX_DECLARED_NPY_BYTES: u128 = 64 << 20;

/// Oracle cases whose Keras files live in `fixtures/keras_files/`; the
/// variants without an oracle of their own hold `tutorial_simple_rnn`'s model.
const KERAS_FILE_CASES: &[(&str, &str)] = &[
    ("bidir_gru_merge_ave_seq", "bidir_gru_merge_ave_seq"),
    ("gru_reset_before_seq", "gru_reset_before_seq"),
    ("lstm_dropout_dense", "lstm_dropout_dense"),
    ("lstm_return_state_seq", "lstm_return_state_seq"),
    ("stacked_lstm_gru_simple_rnn", "stacked_lstm_gru_simple_rnn"),
    (
        "tagger_lstm_time_distributed",
        "tagger_lstm_time_distributed",
    ),
    ("text_classifier_bidir_lstm", "text_classifier_bidir_lstm"),
    ("tutorial_deep_bidirectional", "tutorial_deep_bidirectional"),
    ("tutorial_simple_rnn", "tutorial_simple_rnn"),
    ("tutorial_simple_rnn_float64", "tutorial_simple_rnn"),
    ("tutorial_simple_rnn_legacy", "tutorial_simple_rnn"),
    ("tutorial_simple_rnn_renamed", "tutorial_simple_rnn"),
];

/// Oracle specs compiled in-process as ONNX seeds (one per cell type and
/// wrapper, an Embedding model, a stacked model).
const ONNX_SEED_CASES: &[&str] = &[
    "tutorial_simple_rnn",
    "lstm_default",
    "gru_reset_before_seq",
    "bidir_lstm_merge_concat_seq",
    "embedding_lstm_dense",
    "tagger_lstm_time_distributed",
];

/// One fuzz target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `Spec::from_source`: lexer, parser, lowering, check, then the summary
    /// and the streaming model (`Spec::streaming`, both modes).
    Spec,
    /// `TensorData::read_npy` on a `.npy` input array.
    Npy,
    /// `weights::load` on an `.npz` weights file.
    Npz,
    /// `weights::load` on a `.weights.h5`, legacy `.h5` or `.keras` file.
    Keras,
    /// `inspect::load` and its renderers, `TractModel::load`, and the spec
    /// recorded in the metadata, as `inspect`, `run` and `verify` read it.
    Onnx,
    /// Not rnnc: fails on purpose (panic, stack overflow, huge allocation,
    /// hang) on the input naming the failure, to test the harness itself.
    Canary,
}

/// A case: the bytes and the file name they are written under (the name
/// carries the extension the loaders look at and, for weights, the case).
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A real file a target's inputs are grown from.
struct Seed {
    name: String,
    bytes: Vec<u8>,
}

/// A target's seeds, loaded once per process.
pub struct Seeds {
    target: Target,
    seeds: Vec<Seed>,
    spec_lines: Vec<String>,
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn oracle(case: &str) -> PathBuf {
    root().join("fixtures/oracle").join(case)
}

/// Every oracle case folder, sorted.
fn oracle_cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(root().join("fixtures/oracle"))
        .expect("fixtures/oracle exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("model.rnn").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    cases
}

/// Every file directly in `dir` with `extension`, sorted.
fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.to_string_lossy().ends_with(extension));
    files.sort();
    files
}

impl Target {
    /// Every target, in the order the tests run them.
    pub const ALL: [Target; 5] = [
        Target::Spec,
        Target::Npy,
        Target::Npz,
        Target::Keras,
        Target::Onnx,
    ];

    /// The folder name under `fixtures/fuzz/`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Spec => "spec",
            Target::Npy => "npy",
            Target::Npz => "npz",
            Target::Keras => "keras",
            Target::Onnx => "onnx",
            Target::Canary => "canary",
        }
    }

    /// The target with this folder name.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL
            .into_iter()
            .chain([Target::Canary])
            .find(|t| t.name() == name)
    }

    /// Loads the real files this target's inputs are grown from.
    pub fn seeds(self) -> Seeds {
        let mut seeds = Vec::new();
        let mut spec_lines = Vec::new();
        match self {
            Target::Spec => {
                for dir in ["fixtures/tutorial", "fixtures/errors"] {
                    for path in files_in(&root().join(dir), ".rnn") {
                        seeds.push(seed_file(&path, ""));
                    }
                }
                for case in oracle_cases() {
                    seeds.push(seed_file(&oracle(&case).join("model.rnn"), ""));
                }
                // Functional specs (Input tensors, calls, unpacking, merges)
                // and masked ones (mask_zero, Masking, masks through merges).
                for dir in ["fixtures/functional", "fixtures/masking"] {
                    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
                        .expect("the fixture folder exists")
                        .map(|e| e.expect("readable folder").path().join("model.rnn"))
                        .filter(|p| p.is_file())
                        .collect();
                    cases.sort();
                    for path in cases {
                        seeds.push(seed_file(&path, ""));
                    }
                }
                spec_lines = lines_of_specs(&seeds);
            }
            Target::Npy => {
                for case in oracle_cases() {
                    let path = oracle(&case).join("input.npy");
                    if path.is_file() {
                        seeds.push(seed_file(&path, ""));
                    }
                }
            }
            Target::Npz => {
                for case in oracle_cases() {
                    let path = oracle(&case).join("weights.npz");
                    if path.is_file() {
                        seeds.push(seed_file(&path, &case));
                    }
                }
            }
            Target::Keras => {
                for (dir, case) in KERAS_FILE_CASES {
                    let dir = root().join("fixtures/keras_files").join(dir);
                    for ext in [".h5", ".keras"] {
                        for path in files_in(&dir, ext) {
                            seeds.push(seed_file(&path, case));
                        }
                    }
                }
            }
            Target::Onnx => {
                for path in files_in(&root().join("fixtures/foreign"), ".onnx") {
                    seeds.push(seed_file(&path, ""));
                }
                spec_lines = lines_of_specs(&Target::Spec.seeds().seeds);
                for case in ONNX_SEED_CASES {
                    seeds.push(Seed {
                        name: format!("{case}.onnx"),
                        bytes: compile(case),
                    });
                }
            }
            Target::Canary => {
                for word in ["fine", "panic", "overflow", "allocate", "hang"] {
                    seeds.push(Seed {
                        name: format!("{word}.txt"),
                        bytes: word.as_bytes().to_vec(),
                    });
                }
            }
        }
        Seeds {
            target: self,
            seeds,
            spec_lines,
        }
    }
}

/// Every line of the spec seeds: material the grammar splices in.
fn lines_of_specs(seeds: &[Seed]) -> Vec<String> {
    seeds
        .iter()
        .flat_map(|s| {
            String::from_utf8_lossy(&s.bytes)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A seed read from `path`, named `<case>--<file name>` when it belongs to
/// an oracle case.
fn seed_file(path: &Path, case: &str) -> Seed {
    let file = path.file_name().expect("a file").to_string_lossy();
    let name = if case.is_empty() {
        file.into_owned()
    } else {
        format!("{case}{CASE_SEPARATOR}{file}")
    };
    Seed {
        name,
        bytes: read(path),
    }
}

/// The oracle `case` compiled with seeded weights and rnnc's metadata, as
/// `rnnc compile` writes it.
fn compile(case: &str) -> Vec<u8> {
    let path = oracle(case).join("model.rnn");
    let spec = Spec::load(&path).unwrap_or_else(|e| panic!("{case}: {e}"));
    let weights =
        rnnc::weights::initialize(&spec.info, 1).unwrap_or_else(|e| panic!("{case}: {e}"));
    let options = EmitOptions {
        metadata: rnnc::metadata::entries(
            &spec.source,
            "model.rnn",
            &rnnc::metadata::WeightSource::Seed(1),
        ),
        ..EmitOptions::default()
    };
    let proto = backend::emit(&spec.model, &spec.info, &weights, &options)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    backend::encode(&proto)
}

impl Seeds {
    /// Case `index` of the run seeded with `seed`: the same pair always
    /// gives the same input, so a crash is reproduced from its index alone.
    /// `filtered` keeps out the inputs known to crash today (see the
    /// constants naming each defect).
    pub fn generate(&self, seed: u64, index: u64, filtered: bool) -> Input {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let pick = &self.seeds[rng.random_range(0..self.seeds.len())];
        let donors: Vec<&[u8]> = self.seeds.iter().map(|s| s.bytes.as_slice()).collect();
        let bytes_mutator = Mutator {
            huge_text_numbers: !filtered,
            edge_values: true,
        };
        let (name, bytes) = match self.target {
            Target::Spec => {
                let lines: Vec<&str> = self.spec_lines.iter().map(String::as_str).collect();
                let text = match rng.random_range(0..6u32) {
                    _ if !filtered && rng.random_bool(0.05) => {
                        grammar::deep_spec(&mut rng).into_bytes()
                    }
                    0 => bytes_mutator.mutate(&mut rng, &pick.bytes, &donors),
                    1 => grammar::spec(&mut rng, &lines).into_bytes(),
                    2 => {
                        let text = grammar::spec(&mut rng, &lines);
                        bytes_mutator.mutate(&mut rng, text.as_bytes(), &donors)
                    }
                    3 => {
                        let text = grammar::tame_spec(&mut rng);
                        bytes_mutator.mutate(&mut rng, text.as_bytes(), &donors)
                    }
                    _ => grammar::tame_spec(&mut rng).into_bytes(),
                };
                ("case.rnn".to_string(), text)
            }
            Target::Npy => {
                let bytes = if rng.random_bool(0.5) {
                    npy(&mut rng, filtered)
                } else {
                    bytes_mutator.mutate(&mut rng, &pick.bytes, &donors)
                };
                ("case.npy".to_string(), bytes)
            }
            Target::Npz => {
                let bytes = if rng.random_bool(0.6) {
                    rezip(&mut rng, &pick.bytes, |rng, member| {
                        if rng.random_bool(0.3) {
                            npy(rng, filtered)
                        } else {
                            bytes_mutator.mutate(rng, member, &donors)
                        }
                    })
                } else {
                    bytes_mutator.mutate(&mut rng, &pick.bytes, &donors)
                };
                (pick.name.clone(), bytes)
            }
            Target::Keras => {
                let bytes = if pick.name.ends_with(".keras") && rng.random_bool(0.6) {
                    rezip(&mut rng, &pick.bytes, |rng, member| {
                        bytes_mutator.mutate(rng, member, &donors)
                    })
                } else {
                    bytes_mutator.mutate(&mut rng, &pick.bytes, &donors)
                };
                (pick.name.clone(), bytes)
            }
            Target::Onnx => {
                let bytes = if rng.random_bool(0.3) {
                    onnx_structured(&mut rng, &pick.bytes, &lines_of(&self.spec_lines), filtered)
                } else {
                    bytes_mutator.mutate(&mut rng, &pick.bytes, &donors)
                };
                ("case.onnx".to_string(), bytes)
            }
            Target::Canary => (pick.name.clone(), pick.bytes.clone()),
        };
        Input { name, bytes }
    }
}

fn lines_of(lines: &[String]) -> Vec<&str> {
    lines.iter().map(String::as_str).collect()
}

/// A `.npy` file from its parts: a header with a random dtype, order and
/// shape, and a payload that may be shorter or longer than declared.
fn npy(rng: &mut ChaCha8Rng, filtered: bool) -> Vec<u8> {
    let descr = [
        "<f4", "<f8", "<i4", "<i8", ">f4", "|u1", "<f2", "|b1", "<U3", "|O", "<c8", "zz",
    ][rng.random_range(0..12)];
    let rank = rng.random_range(0..5);
    let mut dims: Vec<u64> = (0..rank)
        .map(|_| match rng.random_range(0..8u32) {
            0 => 0,
            1 => rng.random_range(1..100_000),
            2 => [u32::MAX as u64, 1 << 40, u64::MAX][rng.random_range(0..3)],
            _ => rng.random_range(1..8),
        })
        .collect();
    // Each dimension counts on its own too: ndarray-npy multiplies them
    // before it sees a zero, so `(0, 2**64-1)` overflows (a panic, also
    // repro 03's family) although it declares no bytes.
    let declared = dims
        .iter()
        .try_fold(8u128, |acc, &d| acc.checked_mul(u128::from(d).max(1)))
        .unwrap_or(u128::MAX);
    if filtered && declared > MAX_DECLARED_NPY_BYTES {
        dims.iter_mut().for_each(|d| *d = (*d).min(4));
    }
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!(
            "({})",
            dims.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let fortran = if rng.random_bool(0.2) {
        "True"
    } else {
        "False"
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}");
    if rng.random_bool(0.1) {
        header = header.replace("'shape'", "'shap'");
    }
    let version = [1u8, 2, 3][rng.random_range(0..3)];
    let prefix = 6 + 2 + if version == 1 { 2 } else { 4 };
    while (prefix + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([version, 0]);
    if version == 1 {
        out.extend((header.len() as u16).to_le_bytes());
    } else {
        out.extend((header.len() as u32).to_le_bytes());
    }
    out.extend(header.bytes());
    let elements = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .map_or(4096, |n| n.min(4096));
    let payload = (elements * 8) as usize;
    let payload = match rng.random_range(0..4u32) {
        0 => rng.random_range(0..=payload),
        1 => payload + rng.random_range(1..64),
        _ => payload,
    };
    out.extend((0..payload).map(|_| rng.random::<u8>()));
    out
}

/// A zip archive rebuilt with one member changed by `edit`, so the change
/// reaches the member's reader instead of stopping at the zip checksum.
fn rezip(
    rng: &mut ChaCha8Rng,
    archive: &[u8],
    edit: impl FnOnce(&mut ChaCha8Rng, &[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(archive)) else {
        return archive.to_vec();
    };
    let mut members = Vec::new();
    for i in 0..zip.len() {
        let Ok(mut file) = zip.by_index(i) else {
            return archive.to_vec();
        };
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() {
            return archive.to_vec();
        }
        members.push((file.name().to_string(), bytes));
    }
    if members.is_empty() {
        return archive.to_vec();
    }
    let target = rng.random_range(0..members.len());
    members[target].1 = edit(rng, &members[target].1);
    if rng.random_bool(0.1) {
        let copy = members[target].clone();
        members.push(copy);
    }
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in &members {
        if writer.start_file(name, options).is_err() || writer.write_all(bytes).is_err() {
            return archive.to_vec();
        }
    }
    writer
        .finish()
        .map(Cursor::into_inner)
        .unwrap_or_else(|_| archive.to_vec())
}

/// A decoded ONNX model with one field changed the way a hostile or buggy
/// writer would: a huge or negative dimension, a dangling input name, an
/// attribute set to an extreme, or a recorded spec replaced.
fn onnx_structured(
    rng: &mut ChaCha8Rng,
    bytes: &[u8],
    spec_lines: &[&str],
    filtered: bool,
) -> Vec<u8> {
    use prost::Message;
    let Ok(mut model) = ModelProto::decode(bytes) else {
        return bytes.to_vec();
    };
    let Some(graph) = model.graph.as_mut() else {
        return bytes.to_vec();
    };
    let extreme = [0i64, -1, 1 << 31, i64::MAX, 6000][rng.random_range(0..5)];
    match rng.random_range(0..5u32) {
        0 if !graph.initializer.is_empty() => {
            let at = rng.random_range(0..graph.initializer.len());
            let init = &mut graph.initializer[at];
            if !init.dims.is_empty() {
                let d = rng.random_range(0..init.dims.len());
                init.dims[d] = extreme;
            }
        }
        1 if !graph.node.is_empty() => {
            let at = rng.random_range(0..graph.node.len());
            let node = &mut graph.node[at];
            if !node.input.is_empty() {
                let i = rng.random_range(0..node.input.len());
                node.input[i] = ["", "missing", "X"][rng.random_range(0..3)].to_string();
            }
        }
        2 if !graph.node.is_empty() => {
            let at = rng.random_range(0..graph.node.len());
            // A bad Transpose `perm` makes tract allocate without bound
            // (fixtures/fuzz/onnx/transpose_bad_perm_allocation.onnx, on the
            // tract branch); filtered runs leave Transpose alone until then.
            if filtered && graph.node[at].op_type.as_deref() == Some("Transpose") {
                return bytes.to_vec();
            }
            for attr in &mut graph.node[at].attribute {
                if attr.i.is_some() {
                    attr.i = Some(extreme);
                }
                attr.ints.iter_mut().for_each(|v| *v = extreme);
            }
        }
        3 => {
            for p in &mut model.metadata_props {
                if p.key.as_deref() == Some(rnnc::metadata::SPEC) {
                    p.value = Some(if filtered {
                        grammar::spec(rng, spec_lines)
                    } else {
                        grammar::deep_spec(rng)
                    });
                }
            }
        }
        _ => {
            if let Some(graph) = model.graph.as_mut() {
                for input in graph.input.iter_mut() {
                    set_dims(input, extreme);
                }
            }
        }
    }
    backend::encode(&model)
}

/// Sets every fixed dimension of a graph input's declared shape.
fn set_dims(input: &mut rnnc::back::onnx::proto::ValueInfoProto, value: i64) {
    use rnnc::back::onnx::proto::{tensor_shape_proto::dimension::Value, type_proto};
    let Some(type_proto::Value::TensorType(tensor)) =
        input.r#type.as_mut().and_then(|t| t.value.as_mut())
    else {
        return;
    };
    for dim in tensor.shape.iter_mut().flat_map(|s| s.dim.iter_mut()) {
        if let Some(Value::DimValue(v)) = dim.value.as_mut() {
            *v = value;
        }
    }
}

/// The oracle case a weights input belongs to, from its name.
fn case_of(name: &str) -> Option<&str> {
    name.split_once(CASE_SEPARATOR).map(|(case, _)| case)
}

impl Target {
    /// Runs the target on `input` written under `dir` and says whether rnnc
    /// accepted it. Both answers are fine; only a panic, abort, overflow or
    /// hang is a finding. The share accepted shows how far inputs get.
    pub fn run(self, input: &Input, dir: &Path) -> bool {
        let path = dir.join(input.name.rsplit('/').next().unwrap_or("case"));
        match self {
            Target::Spec => {
                let text = String::from_utf8_lossy(&input.bytes).into_owned();
                let spec = Spec::from_source(text, "case.rnn");
                // The streaming model too, as `compile` (with and without
                // --streaming) makes it: refusing is fine, panicking is not.
                if let Ok(spec) = &spec {
                    for mode in [rnnc::streaming::Mode::Stateful, rnnc::streaming::Mode::All] {
                        let _refused_or_not = spec.clone().streaming(mode, "case.rnn");
                    }
                }
                accepted(spec.map(|s| rnnc::summary::render(&s.model, &s.info)))
            }
            Target::Npy => {
                write(&path, &input.bytes);
                accepted(TensorData::read_npy(&path).map(|t| t.preview(8)))
            }
            Target::Npz | Target::Keras => {
                let Some(case) = case_of(&input.name) else {
                    panic!("corpus file `{}` names no oracle case", input.name);
                };
                let spec = Spec::load(&oracle(case).join("model.rnn"))
                    .unwrap_or_else(|e| panic!("corpus case `{case}`: {e}"));
                write(&path, &input.bytes);
                // A `.keras` / `.h5` is also a model: its config as a spec.
                let as_model = accepted(Spec::load(&path));
                accepted(rnnc::weights::load(&path, &spec.info)) || as_model
            }
            Target::Onnx => {
                use prost::Message;
                write(&path, &input.bytes);
                let described = accepted(rnnc::inspect::load(&path).map(|d| {
                    (
                        rnnc::inspect::text::render(&d),
                        rnnc::inspect::json::render(&d),
                    )
                }));
                let loaded = accepted(rnnc::runtime::TractModel::load(&path));
                if let Some(recorded) = ModelProto::decode(input.bytes.as_slice())
                    .ok()
                    .and_then(|m| rnnc::metadata::Recorded::from_model(&m))
                {
                    accepted(Spec::from_source(recorded.spec, &recorded.spec_file));
                }
                described && loaded
            }
            Target::Canary => canary(&input.bytes),
        }
    }
}

/// Whether `result` is `Ok`; an error is rendered first, as the CLI would.
fn accepted<T, E: std::fmt::Display>(result: Result<T, E>) -> bool {
    result.map_err(|e| e.to_string()).is_ok()
}

/// Fails on purpose in the way `bytes` names, to show the harness sees it.
fn canary(bytes: &[u8]) -> bool {
    fn recurse(depth: u64) -> u64 {
        if depth == u64::MAX {
            return 0;
        }
        let frame = [depth; 64];
        std::hint::black_box(&frame);
        recurse(depth + 1) + frame[0]
    }
    match bytes {
        b"panic" => panic!("canary panic"),
        b"overflow" => recurse(0) > 0,
        b"allocate" => std::hint::black_box(Vec::<u8>::with_capacity(2 << 30)).capacity() > 0,
        b"hang" => loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        },
        _ => true,
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("scratch {}: {e}", path.display()));
}
