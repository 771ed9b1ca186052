//! Every oracle fixture's spec checks to exactly what Keras reported for the
//! same model: model name, layer names and classes, output shapes, parameter
//! counts, and the weight paths and shapes in `model.weights` order.

use rnnc::spec::Spec;
use serde_json::Value;

#[path = "common/oracle_cases.rs"]
mod oracle_cases;
use oracle_cases::oracle_cases;

fn shape(v: &Value) -> Vec<Option<u64>> {
    v.as_array().unwrap().iter().map(Value::as_u64).collect()
}

#[test]
fn checked_shapes_names_and_params_equal_keras() {
    for case in oracle_cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let spec = Spec::load(&case.join("model.rnn")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let keras: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("summary.json")).unwrap())
                .unwrap();
        let info = &spec.info;
        assert_eq!(info.name, keras["model_name"].as_str().unwrap(), "{name}");
        assert_eq!(info.inputs[0].shape, shape(&keras["input_shape"]), "{name}");
        assert_eq!(
            info.total_params,
            keras["total_params"].as_u64().unwrap(),
            "{name}"
        );
        let layers = keras["layers"].as_array().unwrap();
        assert_eq!(info.layers.len(), layers.len(), "{name}");
        for (ours, theirs) in info.layers.iter().zip(layers) {
            assert_eq!(ours.name, theirs["name"].as_str().unwrap(), "{name}");
            assert_eq!(ours.class_name, theirs["class"].as_str().unwrap(), "{name}");
            assert_eq!(
                ours.params,
                theirs["params"].as_u64().unwrap(),
                "{name}/{}",
                ours.name
            );
            let outputs: Vec<Vec<Option<u64>>> = if theirs["num_outputs"].as_u64() == Some(1) {
                vec![shape(&theirs["output_shape"])]
            } else {
                theirs["output_shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(shape)
                    .collect()
            };
            assert_eq!(ours.output_shapes, outputs, "{name}/{}", ours.name);
            if let Some(forward) = theirs["forward_layer"].as_str() {
                assert_eq!(ours.inner_names[0], forward, "{name}");
                assert_eq!(
                    ours.inner_names[1],
                    theirs["backward_layer"].as_str().unwrap()
                );
            }
        }
        let paths = std::fs::read_to_string(case.join("weight_paths.txt")).unwrap();
        let keras_weights: Vec<(String, Vec<usize>)> = paths
            .lines()
            .map(|line| {
                let (path, dims) = line.split_once('\t').unwrap();
                let dims = dims
                    .split(',')
                    .filter(|d| !d.trim().is_empty())
                    .map(|d| d.trim().parse().unwrap())
                    .collect();
                (path.to_string(), dims)
            })
            .collect();
        let ours: Vec<(String, Vec<usize>)> = info
            .weights()
            .map(|(_, w)| (w.path.clone(), w.shape.clone()))
            .collect();
        assert_eq!(ours, keras_weights, "{name}");
    }
}
