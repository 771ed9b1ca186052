use std::fs;

use super::*;

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn uncommitted_file_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("model.onnx");
    {
        let f = AtomicFile::create(&target).unwrap();
        f.as_file().write_all(b"partial").unwrap();
        let names = entries(dir.path());
        assert_eq!(names.len(), 1);
        assert!(
            names[0].starts_with(TEMP_PREFIX) && names[0].ends_with(TEMP_SUFFIX),
            "{names:?}"
        );
    }
    assert!(!target.exists());
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn write_replaces_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    fs::write(&target, b"old").unwrap();
    write(&target, b"new").unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"new");
    assert_eq!(entries(dir.path()), ["out.bin"]);
}

#[test]
fn a_name_at_the_file_system_limit_works() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join(format!("{}.onnx", "m".repeat(250)));
    write(&target, b"x").unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"x");
}

#[cfg(unix)]
#[test]
fn a_planted_symlink_is_never_followed() {
    // Every name a temp file could take is unpredictable; plant links at
    // the old scheme's names and at a few of the new prefix, and check that
    // the victim is untouched and the links stay links.
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, b"precious").unwrap();
    let shared = dir.path().join("shared");
    fs::create_dir(&shared).unwrap();
    for name in [
        format!(".out.onnx.tmp-{}", std::process::id()),
        format!("{TEMP_PREFIX}000000{TEMP_SUFFIX}"),
    ] {
        std::os::unix::fs::symlink(&victim, shared.join(name)).unwrap();
    }
    write(&shared.join("out.onnx"), b"model").unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert_eq!(fs::read(shared.join("out.onnx")).unwrap(), b"model");
}

#[cfg(unix)]
#[test]
fn new_files_honour_the_umask_and_replaced_files_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.onnx");
    write(&new, b"x").unwrap();
    let mode = fs::metadata(&new).unwrap().permissions().mode() & 0o777;
    // What File::create gives under this process's umask.
    let reference = dir.path().join("reference");
    File::create(&reference).unwrap();
    let expected = fs::metadata(&reference).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, expected);
    let private = dir.path().join("private.npz");
    fs::write(&private, b"old").unwrap();
    fs::set_permissions(&private, Permissions::from_mode(0o640)).unwrap();
    write(&private, b"new").unwrap();
    let mode = fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[cfg(unix)]
#[test]
fn a_symlink_output_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("v3.onnx");
    fs::write(&real, b"old").unwrap();
    let link = dir.path().join("latest.onnx");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    write(&link, b"new").unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(&real).unwrap(), b"new");
    let dangling = dir.path().join("dangling.onnx");
    std::os::unix::fs::symlink(dir.path().join("missing"), &dangling).unwrap();
    let err = write(&dangling, b"x").unwrap_err();
    assert!(matches!(err, WriteError::DanglingLink), "{err}");
}

#[cfg(unix)]
#[test]
fn devices_are_written_into_and_fifos_refused() {
    use std::os::unix::fs::FileTypeExt as _;
    write(Path::new("/dev/null"), b"model").unwrap();
    assert!(fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    let err = write(Path::new("/dev/full"), b"model").unwrap_err();
    assert!(err.to_string().contains("space"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let err = write(&fifo, b"model").unwrap_err();
    assert!(err.to_string().contains("FIFO"), "{err}");
    let err = write(dir.path(), b"model").unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
}

#[test]
fn a_read_only_file_is_refused_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("keep.onnx");
    fs::write(&target, b"old").unwrap();
    let mut perms = fs::metadata(&target).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(&target, perms).unwrap();
    let err = write(&target, b"new").unwrap_err();
    assert!(matches!(err, WriteError::ReadOnly), "{err}");
    assert_eq!(fs::read(&target).unwrap(), b"old");
    assert_eq!(entries(dir.path()), ["keep.onnx"]);
}

#[test]
fn a_provisional_file_is_removed_unless_its_referrer_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("m.data");
    let file = AtomicFile::create(&data).unwrap();
    file.as_file().write_all(b"weights").unwrap();
    let guard = file.commit_provisional().unwrap();
    assert_eq!(fs::read(&data).unwrap(), b"weights");
    drop(guard);
    assert!(!data.exists());
    let file = AtomicFile::create(&data).unwrap();
    let guard = file.commit_provisional().unwrap();
    let model = AtomicFile::create(&dir.path().join("m.onnx")).unwrap();
    model.commit_with(vec![guard]).unwrap();
    assert_eq!(entries(dir.path()), ["m.data", "m.onnx"]);
}
