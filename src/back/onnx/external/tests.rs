use std::fs;

use super::*;

fn tensor(name: &str, bytes: usize, fill: u8) -> proto::TensorProto {
    proto::TensorProto {
        name: Some(name.into()),
        dims: vec![(bytes / 4) as i64],
        data_type: Some(1),
        raw_data: Some(vec![fill; bytes]),
        ..Default::default()
    }
}

fn model(tensors: Vec<proto::TensorProto>) -> proto::ModelProto {
    proto::ModelProto {
        graph: Some(proto::GraphProto {
            initializer: tensors,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn large_tensors_move_small_ones_stay() {
    let mut model = model(vec![
        tensor("big", 5000, 7),
        tensor("small", 16, 7),
        tensor("big2", 2048, 7),
    ]);
    assert_eq!(initializer_bytes(&model), 7064);
    let (location, blob) = externalize(&mut model, |_| "m.onnx.data".into()).unwrap();
    assert_eq!(location, "m.onnx.data");
    let init = &model.graph.as_ref().unwrap().initializer;
    assert!(init[0].raw_data.is_none());
    assert_eq!(init[1].raw_data.as_ref().unwrap().len(), 16);
    let entries: Vec<(String, String)> = init[2]
        .external_data
        .iter()
        .map(|e| (e.key.clone().unwrap(), e.value.clone().unwrap()))
        .collect();
    assert_eq!(
        entries,
        [
            ("location".to_string(), "m.onnx.data".to_string()),
            ("offset".to_string(), "8192".to_string()),
            ("length".to_string(), "2048".to_string()),
        ]
    );
    assert_eq!(blob.len(), 8192 + 2048);
    assert_eq!(init[2].data_location, Some(DataLocation::External as i32));
    assert_eq!(locations(&model), ["m.onnx.data"]);
}

#[test]
fn nothing_large_enough_means_no_data_file() {
    let mut model = model(vec![tensor("small", 16, 7)]);
    assert!(externalize(&mut model, |_| unreachable!()).is_none());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.onnx");
    let published = publish(&path, model, 0, &[]).unwrap();
    assert!(published.data.is_none());
    assert_eq!(names(dir.path()), ["m.onnx"]);
}

#[test]
fn data_names_follow_the_content_and_fit_the_name_limit() {
    let a = data_name(Path::new("d/m.onnx"), b"a");
    assert!(a.starts_with("m.onnx.") && a.ends_with(".data"), "{a}");
    assert_ne!(a, data_name(Path::new("d/m.onnx"), b"b"));
    assert!(is_own_data_name(Path::new("d/m.onnx"), &a));
    assert!(is_own_data_name(Path::new("d/m.onnx"), "m.onnx.data"));
    assert!(!is_own_data_name(Path::new("d/m.onnx"), "weights.bin"));
    assert!(!is_own_data_name(
        Path::new("d/m.onnx"),
        "m.onnx.zzzzzzzz.data"
    ));
    let long = format!("{}.onnx", "é".repeat(124));
    let name = data_name(Path::new(&long), b"a");
    assert!(name.len() <= NAME_MAX, "{}", name.len());
    assert!(is_own_data_name(Path::new(&long), &name));
}

#[test]
fn republishing_replaces_the_pair_and_removes_the_old_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.onnx");
    let first = publish(&path, model(vec![tensor("w", 4096, 1)]), 0, &[]).unwrap();
    let (first_data, first_len) = first.data.unwrap();
    assert_eq!(first_len, 4096);
    assert_eq!(fs::read(&first_data).unwrap(), vec![1; 4096]);
    let second = publish(&path, model(vec![tensor("w", 4096, 2)]), 0, &[]).unwrap();
    let (second_data, _) = second.data.unwrap();
    assert_ne!(first_data, second_data);
    assert!(second.stale.is_empty());
    assert!(!first_data.exists());
    assert_eq!(names(dir.path()).len(), 2, "{:?}", names(dir.path()));
    assert_eq!(
        data_files(&path, u64::MAX),
        std::slice::from_ref(&second_data)
    );
    // The same weights again: same data file, kept.
    publish(&path, model(vec![tensor("w", 4096, 2)]), 0, &[]).unwrap();
    assert_eq!(fs::read(&second_data).unwrap(), vec![2; 4096]);
    // Inline now: the data file no model names is removed.
    publish(&path, model(vec![tensor("w", 4096, 2)]), u64::MAX, &[]).unwrap();
    assert_eq!(names(dir.path()), ["m.onnx"]);
}

#[test]
fn a_failed_model_write_keeps_the_old_pair_and_leaves_no_new_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.onnx");
    let first = publish(&path, model(vec![tensor("w", 4096, 1)]), 0, &[]).unwrap();
    let before = names(dir.path());
    let old_model = fs::read(&path).unwrap();
    // The model can no longer be replaced (as with `chattr +i`, a full disk
    // or a failed rename): the new data file must not survive.
    let mut perms = fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(&path, perms).unwrap();
    let err = publish(&path, model(vec![tensor("w", 4096, 2)]), 0, &[]).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert_eq!(names(dir.path()), before);
    assert_eq!(fs::read(&path).unwrap(), old_model);
    assert_eq!(fs::read(first.data.unwrap().0).unwrap(), vec![1; 4096]);
}

#[test]
fn the_data_file_must_not_replace_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.onnx");
    let blob_name = {
        let mut m = model(vec![tensor("w", 4096, 3)]);
        let (name, _) = externalize(&mut m, |b| data_name(&path, b)).unwrap();
        name
    };
    let input = dir.path().join(&blob_name);
    fs::write(&input, b"precious").unwrap();
    let err = publish(
        &path,
        model(vec![tensor("w", 4096, 3)]),
        0,
        &[Input::new("the weights file", &input)],
    )
    .unwrap_err();
    assert!(matches!(err, OutputError::SameAsInput { .. }), "{err}");
    assert_eq!(fs::read(&input).unwrap(), b"precious");
    assert!(!path.exists());
}

#[cfg(unix)]
#[test]
fn a_folder_whose_name_is_not_utf8_works() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(std::ffi::OsStr::from_bytes(b"d\xff"));
    fs::create_dir(&folder).unwrap();
    let path = folder.join("m.onnx");
    let published = publish(&path, model(vec![tensor("w", 4096, 1)]), 0, &[]).unwrap();
    let (data, _) = published.data.unwrap();
    assert_eq!(data.parent(), Some(folder.as_path()));
    assert_eq!(fs::read(data).unwrap(), vec![1; 4096]);
}
