use std::os::unix::fs::PermissionsExt as _;

use clap::Parser as _;

use super::*;
use crate::cli::Cli;

async fn run_keys_generate(out_dir: &Path) -> anyhow::Result<()> {
    let out_dir = out_dir.to_str().unwrap();
    Cli::try_parse_from(["postern", "keys", "generate", "--out-dir", out_dir])
        .unwrap()
        .run()
        .await
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn files_in(dir: &Path) -> JwtKeyFiles {
    JwtKeyFiles {
        private_key: dir.join(PRIVATE_KEY_FILE),
        previous_public_keys: vec![dir.join(PUBLIC_KEY_FILE)],
    }
}

#[tokio::test]
async fn keys_generate_writes_a_private_key_only_its_owner_reads_and_its_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("keys");

    run_keys_generate(&out_dir).await.unwrap();

    let private = std::fs::read_to_string(out_dir.join(PRIVATE_KEY_FILE)).unwrap();
    let public = std::fs::read_to_string(out_dir.join(PUBLIC_KEY_FILE)).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(mode(&out_dir.join(PRIVATE_KEY_FILE)), 0o600);
    let (signing, previous) = load(&files_in(&out_dir)).unwrap();
    assert_eq!(previous[0].kid(), signing.kid());
}

#[tokio::test]
async fn keys_generate_refuses_to_overwrite_a_key() {
    let dir = tempfile::tempdir().unwrap();
    run_keys_generate(dir.path()).await.unwrap();
    let before = std::fs::read_to_string(dir.path().join(PRIVATE_KEY_FILE)).unwrap();

    let second = run_keys_generate(dir.path()).await;

    let message = format!("{:#}", second.unwrap_err());
    assert!(message.contains("already exists"), "{message}");
    let after = std::fs::read_to_string(dir.path().join(PRIVATE_KEY_FILE)).unwrap();
    assert_eq!(before, after);
}

#[test]
fn the_instructions_give_the_kid_and_the_rotation_variables() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generate(dir.path()).unwrap();

    let text = instructions(&generated);

    assert!(text.contains(&generated.kid));
    assert!(text.contains("JWT_PRIVATE_KEY_FILE="));
    assert!(text.contains("JWT_PREVIOUS_PUBLIC_KEY_FILES="));
}

#[test]
fn loading_names_the_variable_and_file_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path()).unwrap();
    let missing = JwtKeyFiles {
        private_key: dir.path().join("absent.pem"),
        previous_public_keys: Vec::new(),
    };
    let swapped = JwtKeyFiles {
        private_key: dir.path().join(PUBLIC_KEY_FILE),
        previous_public_keys: Vec::new(),
    };
    let private_as_previous = JwtKeyFiles {
        previous_public_keys: vec![dir.path().join(PRIVATE_KEY_FILE)],
        ..files_in(dir.path())
    };

    for (files, variable) in [
        (missing, "JWT_PRIVATE_KEY_FILE"),
        (swapped, "JWT_PRIVATE_KEY_FILE"),
        (private_as_previous, "JWT_PREVIOUS_PUBLIC_KEY_FILES"),
    ] {
        let message = format!("{:#}", load(&files).unwrap_err());

        assert!(message.starts_with(variable), "{message}");
        assert!(!message.contains("MC4CAQAw"), "{message}");
        assert!(!message.contains("MCowBQYDK2Vw"), "{message}");
    }
}
