//! Keras' automatic layer names.
//!
//! Keras names an unnamed layer after its class in snake_case, counting per
//! class within a model: `simple_rnn`, `simple_rnn_1`, … A wrapped layer is
//! constructed (and so named) before its wrapper, and a Bidirectional layer's
//! two copies are named `forward_<inner>` and `backward_<inner>`. Unnamed
//! model inputs are `input_layer`, `input_layer_1`, … (a counter of their own).

use std::collections::HashMap;

use super::CheckError;
use crate::ir::{LayerKind, Model, ModelClass, ModelInput, RecurrentClass};

/// Keras' automatic model name for the class: `sequential` or `functional`.
pub fn default_model_name(class: ModelClass) -> &'static str {
    match class {
        ModelClass::Sequential => "sequential",
        ModelClass::Functional => "functional",
    }
}

/// The names of a model's layers (by layer id) and inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Names {
    pub layers: Vec<LayerNames>,
    pub inputs: Vec<String>,
}

/// Names of a layer and of the layers inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNames {
    pub name: String,
    /// `forward_x`, `backward_x` for Bidirectional; the Dense for TimeDistributed.
    pub inner: Vec<String>,
}

/// Assigns every layer and input its name; fails on duplicates, as Keras does.
///
/// `taken` are automatic names Keras gives to something other than a layer
/// in between, as (source offset, prefix): a masked `Concatenate` call makes
/// a `concatenate` op for its mask, which takes the next `concatenate_N`
/// (so the next Concatenate layer made after that call skips it).
pub fn assign(model: &Model, taken: &[(u32, &'static str)]) -> Result<Names, Vec<CheckError>> {
    let mut counters: HashMap<&'static str, u32> = HashMap::new();
    let mut taken = taken.to_vec();
    taken.sort_by_key(|&(offset, _)| offset);
    let mut taken = taken.into_iter().peekable();
    let mut auto = |prefix: &'static str| {
        let n = counters.entry(prefix).or_insert(0);
        let name = if *n == 0 {
            prefix.to_string()
        } else {
            format!("{prefix}_{n}")
        };
        *n += 1;
        name
    };
    let mut out = Vec::with_capacity(model.layers.len());
    for layer in &model.layers {
        while let Some((_, prefix)) = taken.next_if(|&(offset, _)| offset < layer.span.start) {
            auto(prefix);
        }
        let names = match &layer.kind {
            LayerKind::Bidirectional(b) => {
                let inner = b
                    .inner_name
                    .clone()
                    .unwrap_or_else(|| auto(b.layer.keras_name_prefix()));
                let base = inner.strip_prefix("forward_").unwrap_or(&inner);
                // Keras 3 keeps a given backward layer's own name (made
                // after the forward layer's, before the wrapper's).
                let backward = match (&b.backward_name, b.explicit_backward) {
                    (Some(name), _) => name.clone(),
                    (None, true) => auto(b.backward_layer().keras_name_prefix()),
                    (None, false) => format!("backward_{base}"),
                };
                let name = layer.name.clone().unwrap_or_else(|| auto("bidirectional"));
                LayerNames {
                    name,
                    inner: vec![format!("forward_{base}"), backward],
                }
            }
            LayerKind::TimeDistributed(inner_layer) => {
                let inner = inner_layer.name.clone().unwrap_or_else(|| auto("dense"));
                let name = layer
                    .name
                    .clone()
                    .unwrap_or_else(|| auto("time_distributed"));
                LayerNames {
                    name,
                    inner: vec![inner],
                }
            }
            // `RNN(cell)`: the cells are layers Keras names too (their
            // names are in the weights' paths); a list of cells is wrapped
            // in a `StackedRNNCells`, named first.
            LayerKind::Recurrent(r) if r.class == RecurrentClass::Rnn => {
                let mut inner: Vec<String> = r
                    .chain()
                    .iter()
                    .enumerate()
                    .map(|(i, cell)| {
                        r.cell_names
                            .get(i)
                            .cloned()
                            .flatten()
                            .unwrap_or_else(|| auto(cell.cell.keras_cell_prefix()))
                    })
                    .collect();
                if !r.stacked.is_empty() {
                    inner.insert(0, auto("stacked_rnn_cells"));
                }
                let name = layer
                    .name
                    .clone()
                    .unwrap_or_else(|| auto(r.keras_name_prefix()));
                LayerNames { name, inner }
            }
            kind => LayerNames {
                name: layer
                    .name
                    .clone()
                    .unwrap_or_else(|| auto(kind.keras_name_prefix())),
                inner: Vec::new(),
            },
        };
        out.push(names);
    }
    let inputs: Vec<String> = model
        .inputs
        .iter()
        .map(|input| {
            input
                .name
                .clone()
                .unwrap_or_else(|| auto(ModelInput::AUTO_NAME_PREFIX))
        })
        .collect();
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let mut errors = Vec::new();
    let spans = model.inputs.iter().map(|i| i.span);
    let named = inputs.iter().zip(spans).chain(
        out.iter()
            .map(|n| &n.name)
            .zip(model.layers.iter().map(|l| l.span)),
    );
    for (name, span) in named {
        if seen.insert(name.as_str(), ()).is_some() {
            errors.push(CheckError::DuplicateName {
                name: name.clone(),
                span,
            });
        }
    }
    if errors.is_empty() {
        Ok(Names {
            layers: out,
            inputs,
        })
    } else {
        Err(errors)
    }
}
