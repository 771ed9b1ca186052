//! What a model's weights cost in memory — their bytes, the initializer's
//! workspace, the copies compiling holds — checked against the budget before
//! any of it is allocated, naming the layer that weighs most.

use super::{size, Budget, BudgetError};
use crate::check::{LayerInfo, ModelInfo, WeightInit, WeightRole, WeightSpec};
use crate::ir::Initializer;

/// Bytes of one weight: rnnc holds weights as f32, as Keras does by default.
pub const F32_BYTES: u64 = 4;
/// Copies of the weights `compile` holds at once, rounded up from the
/// measured peak resident size of `rnnc compile` (less the binary's own
/// 12 MB): 2.0 times the weight bytes for an Embedding, 2.9 for an LSTM whose
/// kernels the layout conversion transposes and reorders. The Keras-layout
/// arrays sit beside the ONNX initializers while emitting, then the
/// initializers beside the encoded file while writing.
const COMPILE_COPIES: u64 = 3;

/// Bytes of all the model's weights.
pub fn weight_bytes(info: &ModelInfo) -> u64 {
    info.total_params.saturating_mul(F32_BYTES)
}

/// The largest extra memory initializing one weight takes beside the weights
/// themselves (one weight is initialized at a time, so the largest counts):
/// the orthogonal initializer forms `Q` in the weight's own f32 storage with
/// a workspace of [`QR_BLOCK`] columns and rows, except for a tall weight
/// (more rows than columns), read out into a second buffer.
pub fn init_workspace(info: &ModelInfo) -> u64 {
    info.weights()
        .filter(|(_, spec)| {
            matches!(
                spec.init,
                WeightInit::Keras(Initializer::Orthogonal)
                    | WeightInit::UnitForgetBias(Initializer::Orthogonal)
            )
        })
        .map(|(_, spec)| orthogonal_workspace(&spec.shape))
        .max()
        .unwrap_or(0)
}

/// The widest block faer's QR uses (`recommended_block_size`).
const QR_BLOCK: u64 = 256;

fn orthogonal_workspace(shape: &[usize]) -> u64 {
    let cols = shape.last().copied().unwrap_or(1) as u64;
    let rows = elements(&shape[..shape.len().saturating_sub(1)]);
    let (m, n) = (rows.max(cols), rows.min(cols));
    let blocks = QR_BLOCK
        .saturating_mul(m.saturating_add(n.saturating_mul(2)))
        .saturating_mul(F32_BYTES);
    if rows > cols {
        blocks.saturating_add(m.saturating_mul(n).saturating_mul(F32_BYTES))
    } else {
        blocks
    }
}

/// The number of elements of `shape`, saturating at `u64::MAX`.
pub fn elements(shape: &[usize]) -> u64 {
    shape.iter().fold(1u64, |n, &d| n.saturating_mul(d as u64))
}

/// Refuses to initialize weights that, with the initializer's workspace, do
/// not fit the budget.
pub fn check_init(info: &ModelInfo, budget: &Budget) -> Result<(), BudgetError> {
    let weights = weight_bytes(info);
    let need = weights.saturating_add(init_workspace(info));
    budget.check(need, || {
        (
            "initializing the weights".into(),
            format!(
                "they take {}{}; {}",
                size::format(weights),
                workspace_note(info),
                heaviest_note(info)
            ),
            heaviest_advice(info),
        )
    })
}

/// The bytes of the model's largest single weight: a reader holds one
/// array's raw bytes beside the weights read so far.
fn largest_weight_bytes(info: &ModelInfo) -> u64 {
    info.weights()
        .map(|(_, spec)| elements(&spec.shape).saturating_mul(F32_BYTES))
        .max()
        .unwrap_or(0)
}

/// Refuses to read a weights file for a model whose weights do not fit the
/// budget, before any array is read (`verify --weights`, `run --reference
/// --weights`; `compile` checks its larger need first).
pub fn check_load(info: &ModelInfo, budget: &Budget) -> Result<(), BudgetError> {
    let weights = weight_bytes(info);
    let need = weights.saturating_add(largest_weight_bytes(info));
    budget.check(need, || {
        (
            "reading the weights file".into(),
            format!(
                "the model's weights take {} and the reader holds one array's bytes beside them; {}",
                size::format(weights),
                heaviest_note(info)
            ),
            heaviest_advice(info),
        )
    })
}

/// Refuses to compile a model whose weights, held in both layouts (and
/// initialized first when `initializing`), do not fit the budget.
pub fn check_compile(
    info: &ModelInfo,
    initializing: bool,
    budget: &Budget,
) -> Result<(), BudgetError> {
    let weights = weight_bytes(info);
    let mut need = weights.saturating_mul(COMPILE_COPIES);
    if initializing {
        need = need.max(weights.saturating_add(init_workspace(info)));
    }
    budget.check(need, || {
        (
            "compiling the model".into(),
            format!(
                "its {} of weights are held in Keras and in ONNX layout at once{}; {}",
                size::format(weights),
                if initializing {
                    workspace_note(info)
                } else {
                    String::new()
                },
                heaviest_note(info)
            ),
            heaviest_advice(info),
        )
    })
}

/// ", and the orthogonal initializer's workspace takes 93.8 MiB" when it does.
fn workspace_note(info: &ModelInfo) -> String {
    match init_workspace(info) {
        0 => String::new(),
        bytes => format!(
            ", and the orthogonal initializer's workspace takes {}",
            size::format(bytes)
        ),
    }
}

/// The layer with the most parameters (the first of equals).
fn heaviest(info: &ModelInfo) -> Option<&LayerInfo> {
    info.layers
        .iter()
        .reduce(|best, l| if l.params > best.params { l } else { best })
}

/// "LSTM layer `lstm` alone has 7.6 GiB (16000 units)".
fn heaviest_note(info: &ModelInfo) -> String {
    match heaviest(info) {
        Some(layer) => format!(
            "{} layer `{}` alone has {} ({}, {} parameters)",
            layer.class_name,
            layer.name,
            size::format(layer.params.saturating_mul(F32_BYTES)),
            layer_size(layer),
            layer.params
        ),
        None => "the model has no layers".into(),
    }
}

/// How to shrink the heaviest layer.
fn heaviest_advice(info: &ModelInfo) -> String {
    match heaviest(info) {
        Some(layer) if role_shape(layer, WeightRole::Embeddings).is_some() => format!(
            "give `{}` a smaller vocabulary (input_dim) or output_dim",
            layer.name
        ),
        Some(layer) => format!("give `{}` fewer units", layer.name),
        None => "add smaller layers".into(),
    }
}

/// What sets a layer's size, in Keras' words: "16000 units", "7000000 × 300 table".
fn layer_size(layer: &LayerInfo) -> String {
    if let Some(shape) = role_shape(layer, WeightRole::RecurrentKernel) {
        format!("{} units", shape[0])
    } else if let Some(shape) = role_shape(layer, WeightRole::Embeddings) {
        format!("a {} × {} table", shape[0], shape[1])
    } else if let Some(shape) = role_shape(layer, WeightRole::Kernel) {
        format!("{} units on {} inputs", shape[1], shape[0])
    } else {
        "no weights".into()
    }
}

/// The shape of the layer's first weight with `role`.
fn role_shape(layer: &LayerInfo, role: WeightRole) -> Option<&[usize]> {
    layer
        .weights
        .iter()
        .find(|w: &&WeightSpec| w.role == role)
        .map(|w| w.shape.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Origin;
    use crate::spec::Spec;

    fn info(source: &str) -> ModelInfo {
        Spec::from_source(source.into(), "test.rnn").unwrap().info
    }

    fn budget(bytes: u64) -> Budget {
        Budget {
            bytes,
            origin: Origin::Option,
        }
    }

    #[test]
    fn weights_and_workspace_follow_the_shapes() {
        // LSTM(16000) on 16000 features: kernel and recurrent kernel
        // [16000, 64000], bias [64000]; the QR works in the recurrent
        // kernel's own storage, with blocks of 256 columns and rows.
        let big = info("LSTM(16000, input_shape=(None, 16000))");
        assert_eq!(weight_bytes(&big), 2_048_064_000 * 4);
        assert_eq!(init_workspace(&big), 256 * (64_000 + 2 * 16_000) * 4);
        // A tall orthogonal kernel is read out into a second buffer.
        let tall = info("SimpleRNN(3, kernel_initializer='orthogonal', input_shape=(None, 50))");
        assert_eq!(init_workspace(&tall), 256 * (50 + 2 * 3) * 4 + 50 * 3 * 4);
        let no_orthogonal =
            info("SimpleRNN(3, recurrent_initializer='glorot_uniform', input_shape=(None, 2))");
        assert_eq!(init_workspace(&no_orthogonal), 0);
        assert_eq!(elements(&[usize::MAX, 2]), u64::MAX);
        assert_eq!(elements(&[]), 1);
    }

    #[test]
    fn loading_counts_the_weights_and_one_array() {
        let big = info("LSTM(16000, input_shape=(None, 16000))");
        let need = 2_048_064_000 * 4 + 16_000 * 64_000 * 4;
        assert_eq!(check_load(&big, &budget(need)), Ok(()));
        let text = check_load(&big, &budget(need - 1)).unwrap_err().to_string();
        assert!(text.contains("reading the weights file"), "{text}");
        assert!(text.contains("LSTM layer `lstm` alone has"), "{text}");
        assert!(text.contains("give `lstm` fewer units"), "{text}");
    }

    #[test]
    fn lstm_16000_is_refused_naming_the_layer() {
        let big = info("LSTM(16000, input_shape=(None, 16000))");
        let err = check_compile(&big, true, &budget(6 << 30)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "compiling the model needs 22.9 GiB, more than the 6.0 GiB memory budget"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "LSTM layer `lstm` alone has 7.6 GiB (16000 units, 2048064000 parameters)"
            ),
            "{text}"
        );
        assert!(text.contains("give `lstm` fewer units"), "{text}");
        let err = check_init(&big, &budget(6 << 30)).unwrap_err().to_string();
        assert!(
            err.starts_with("initializing the weights needs 7.7 GiB"),
            "{err}"
        );
        assert!(
            err.contains("the orthogonal initializer's workspace takes 93.8 MiB"),
            "{err}"
        );
        assert_eq!(check_init(&big, &budget(8 << 30)), Ok(()));
    }

    #[test]
    fn a_big_embedding_is_named_with_its_table() {
        let table = info("Embedding(7000000, 300, input_length=5)");
        let err = check_compile(&table, true, &budget(1 << 30))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Embedding layer `embedding` alone has 7.8 GiB (a 7000000 × 300 table"),
            "{err}"
        );
        assert!(err.contains("smaller vocabulary"), "{err}");
        // Uniform initialization needs no workspace: the weights alone.
        assert_eq!(check_init(&table, &budget(2_100_000_000 * 4)), Ok(()));
    }

    #[test]
    fn loaded_weights_need_no_workspace() {
        let big = info("LSTM(1000, input_shape=(None, 1000))");
        let weights = weight_bytes(&big);
        let loaded_need = weights * 3;
        assert_eq!(check_compile(&big, false, &budget(loaded_need)), Ok(()));
        assert!(check_compile(&big, false, &budget(loaded_need - 1)).is_err());
    }
}
