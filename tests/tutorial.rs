//! The tutorial is ground truth: every model cell of it, pasted whole,
//! compiles, and its summary equals the one the tutorial printed, character
//! for character, once our per-model names are replaced by the notebook's
//! session-wide ones (`sequential_5`, `simple_rnn_8`, …).

use std::path::Path;

use rnnc::spec::Spec;
use rnnc::summary;

/// Cell, the notebook's model name, the notebook's layer names.
const CELLS: &[(&str, &str, &[&str])] = &[
    ("cell_in3", "sequential", &["simple_rnn"]),
    ("cell_in4", "sequential_1", &["simple_rnn_1"]),
    ("cell_in5", "sequential_2", &["simple_rnn_2"]),
    (
        "cell_in16",
        "sequential_5",
        &["simple_rnn_8", "simple_rnn_9"],
    ),
    ("cell_in17", "sequential_6", &["bidirectional_5"]),
    (
        "cell_in15",
        "sequential_4",
        &[
            "bidirectional_1",
            "bidirectional_2",
            "bidirectional_3",
            "bidirectional_4",
        ],
    ),
];

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tutorial")
        .join(name)
}

#[test]
fn every_tutorial_cell_prints_the_tutorials_summary() {
    for (cell, model_name, layer_names) in CELLS {
        let spec = Spec::load(&fixture(&format!("{cell}.rnn")))
            .unwrap_or_else(|e| panic!("{cell} does not compile: {e}"));
        let mut info = spec.info.clone();
        info.name = model_name.to_string();
        assert_eq!(info.layers.len(), layer_names.len(), "{cell}");
        for (layer, name) in info.layers.iter_mut().zip(*layer_names) {
            layer.name = name.to_string();
        }
        let ours = summary::render(&spec.model, &info);
        let printed = std::fs::read_to_string(fixture(&format!("{cell}.keras.txt"))).unwrap();
        // The seed file ends in the middle of In[15]'s summary.
        if printed.ends_with("_\n") {
            assert_eq!(ours, printed, "{cell}");
        } else {
            assert!(
                ours.starts_with(&printed),
                "{cell}: ours\n{ours}\ndoes not start with the tutorial's\n{printed}"
            );
        }
    }
}

#[test]
fn tutorial_parameter_counts() {
    let expected: &[(&str, &[u64], u64)] = &[
        ("simple_rnn", &[42], 42),
        ("simple_rnn_input_length", &[42], 42),
        ("batch_input", &[42], 42),
        ("return_sequences", &[42], 42),
        ("deep_rnn", &[112, 136], 248),
        ("bidirectional", &[224], 224),
        ("deep_bidirectional", &[224, 400, 400, 400], 1424),
        ("input_layer", &[112], 112),
    ];
    for (case, layers, total) in expected {
        let spec = Spec::load(&fixture(&format!("{case}.rnn"))).unwrap();
        let params: Vec<u64> = spec.info.layers.iter().map(|l| l.params).collect();
        assert_eq!(&params, layers, "{case}");
        assert_eq!(spec.info.total_params, *total, "{case}");
    }
}
