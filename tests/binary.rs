//! Binary content end to end: by default the exact token rules (checksummed or exactly shaped
//! prefixed tokens) run on files that look binary, context rules do not; `--binary` runs every
//! rule, `--no-binary` skips them. Fixtures are byte layouts made here with freshly minted tokens.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command as Std;

use common::*;

/// A SQLite database page: the file header, NULs, and a record holding `value`.
fn sqlite_like(value: &[u8]) -> Vec<u8> {
    let mut db = b"SQLite format 3\0".to_vec();
    db.extend_from_slice(&[0x10, 0x00, 0x01, 0x01, 0x00, 0x40, 0x20, 0x20]);
    db.resize(4096, 0);
    // A leaf table page with one cell: payload length, rowid, record header, text.
    db.extend_from_slice(&[0x0d, 0, 0, 0, 1, 0x0f, 0xc0, 0]);
    db.resize(8000, 0);
    db.extend_from_slice(&[0x5c, 0x01, 0x03, 0x17, 0x81, 0x13]);
    db.extend_from_slice(b"settings");
    db.extend_from_slice(value);
    db.resize(12288, 0);
    db
}

/// A CPython 3.12 `.pyc`: magic, flags, mtime, size, then a marshalled code object whose
/// constants hold `value` as a short ASCII string (`Z` | FLAG_REF).
fn pyc_like(value: &[u8]) -> Vec<u8> {
    let mut pyc = vec![0xcb, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0];
    pyc.extend_from_slice(&[0x5e, 0x1c, 0x6f, 0x66, 0x2a, 0x01, 0, 0]);
    pyc.extend_from_slice(&[0xe3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0]);
    pyc.extend_from_slice(&[
        0xf3, 0x0c, 0, 0, 0, 0x97, 0, 0x64, 0, 0x5a, 0, 0x79, 0x01, 0x29,
    ]);
    pyc.push(0x02);
    pyc.push(0xda);
    pyc.push(value.len() as u8);
    pyc.extend_from_slice(value);
    pyc.extend_from_slice(&[0xda, 0x05]);
    pyc.extend_from_slice(b"TOKEN");
    pyc.extend_from_slice(&[0x4e, 0x29, 0x00]);
    pyc
}

/// An ELF executable's header, NULs, and `value` in its read-only data.
fn elf_like(value: &[u8]) -> Vec<u8> {
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    elf.resize(512, 0);
    elf.extend_from_slice(b"\0usage: deploy\0");
    elf.extend_from_slice(value);
    elf.extend_from_slice(&[0u8; 256]);
    elf
}

fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

fn scan(dir: &Path, extra: &[&str]) -> (serde_json::Value, i32) {
    let mut args = vec!["scan", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    json_report(&args)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn tokens_in_a_database_a_pyc_and_an_executable_are_found_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let (ghp, gho, pat, ghs, ghr) = (
        mint("ghp"),
        mint("gho"),
        mint("github_pat"),
        mint("ghs"),
        mint("ghr"),
    );
    write(dir.path(), "app.db", sqlite_like(ghp.as_bytes()));
    write(
        dir.path(),
        "__pycache__/settings.cpython-312.pyc",
        pyc_like(gho.as_bytes()),
    );
    let mut elf = elf_like(pat.as_bytes());
    elf.extend_from_slice(ghs.as_bytes());
    elf.push(0);
    write(dir.path(), "bin/deploy", elf);
    // A large one goes through the whole-file path, a larger than a chunk one is streamed.
    let mut big = elf_like(ghr.as_bytes());
    big.resize(3 << 20, 0);
    write(dir.path(), "core.1234", &big);
    let (r, code) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        sorted(secrets(&r)),
        sorted(vec![ghp.clone(), gho, pat, ghs, ghr])
    );
    assert_eq!(r["summary"]["skipped_binary"], 0);
    let f = finding(&r, &ghp);
    assert_eq!(f["kind"], "classic-pat");
    assert_eq!(f["checksum"], "valid");
    assert_eq!(f["locations"][0]["offset"], 8014);
}

#[test]
fn a_stateless_installation_token_in_a_binary_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghs_stateless");
    write(dir.path(), "heap.dump", elf_like(tok.as_bytes()));
    let (r, code) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(secrets(&r), vec![tok]);
}

#[test]
fn utf16_strings_inside_a_binary_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let (le, be) = (mint("ghu"), mint("ghp"));
    let mut blob = elf_like(b"");
    blob.extend_from_slice(&utf16(&format!("token={le}"), false));
    blob.extend_from_slice(&[0u8; 16]);
    blob.extend_from_slice(&utf16(&format!("token={be}"), true));
    blob.extend_from_slice(&[0u8; 16]);
    write(dir.path(), "app.exe", blob);
    let (r, code) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(sorted(secrets(&r)), sorted(vec![le.clone(), be.clone()]));
    for tok in [&le, &be] {
        let decoded = finding(&r, tok)["locations"][0]["decoded"][0].to_string();
        assert!(decoded.contains("utf-16"), "{decoded}");
    }
}

#[test]
fn look_alikes_with_a_failed_checksum_inside_a_binary_are_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut blob = elf_like(b"");
    for t in ["ghp:bad", "gho:bad", "ghs:bad", "github_pat:bad", "ghr:bad"] {
        blob.extend_from_slice(mint(t).as_bytes());
        blob.push(0);
    }
    blob.extend_from_slice(&utf16(&mint("ghs:bad"), false));
    write(dir.path(), "lib.so", &blob);
    write(
        dir.path(),
        "data.db",
        sqlite_like(mint("github_pat:bad").as_bytes()),
    );
    for extra in [&[][..], &["--include-invalid"][..]] {
        let (r, code) = scan(dir.path(), extra);
        assert_eq!(code, 0, "{extra:?}: {r}");
        assert_eq!(secrets(&r), Vec::<String>::new(), "{extra:?}");
    }
}

#[test]
fn context_rules_run_in_binaries_only_with_binary() {
    let dir = tempfile::tempdir().unwrap();
    let hex = "3f9c2b7a1e5d40c8b6a29f7e1d3c5b8a0e4f6d21";
    let value = format!("GH_TOKEN={hex}\n");
    write(dir.path(), "app.db", sqlite_like(value.as_bytes()));
    let (r, code) = scan(dir.path(), &[]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["skipped_binary"], 0);
    let (r, code) = scan(dir.path(), &["--binary"]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(secrets(&r), vec![hex.to_string()]);
    // The same text outside a binary is found by default.
    write(dir.path(), "app.db", &value);
    let (r, _) = scan(dir.path(), &[]);
    assert_eq!(secrets(&r), vec![hex.to_string()]);
}

#[test]
fn no_binary_skips_binary_files_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.db", sqlite_like(mint("ghp").as_bytes()));
    let mut big = elf_like(mint("gho").as_bytes());
    big.resize(2 << 20, 0);
    write(dir.path(), "big.bin", &big);
    let (r, code) = scan(dir.path(), &["--no-binary"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["skipped_binary"], 2);
    assert_eq!(secrets(&r), Vec::<String>::new());
    patrol()
        .args(["scan", "--binary", "--no-binary"])
        .arg(dir.path())
        .assert()
        .code(2);
}

#[test]
fn a_binary_archive_member_is_scanned_with_the_exact_rules() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let hex = "3f9c2b7a1e5d40c8b6a29f7e1d3c5b8a0e4f6d21";
    let mut member = elf_like(tok.as_bytes());
    member.extend_from_slice(format!("\0GH_TOKEN={hex}\0").as_bytes());
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file("lib/native.so", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&member).unwrap();
        z.finish().unwrap();
    }
    write(dir.path(), "app.zip", buf.into_inner());
    let (r, code) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(secrets(&r), vec![tok.clone()]);
    let loc = finding(&r, &tok)["locations"][0].to_string();
    assert!(loc.contains("native.so"), "{loc}");
}

#[test]
fn a_binary_blob_in_history_is_scanned_with_the_exact_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let tok = mint("ghp");
    let hex = "3f9c2b7a1e5d40c8b6a29f7e1d3c5b8a0e4f6d21";
    let mut blob = sqlite_like(tok.as_bytes());
    blob.extend_from_slice(format!("GH_TOKEN={hex}\n").as_bytes());
    write(d, "db/app.sqlite", &blob);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "add database"]);
    git(d, &["rm", "-q", "db/app.sqlite"]);
    git(d, &["commit", "-qm", "remove database"]);
    let (r, code) = json_report(&["git", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(secrets(&r), vec![tok.clone()]);
    let (r, _) = json_report(&["git", d.to_str().unwrap(), "--binary"]);
    assert_eq!(sorted(secrets(&r)), sorted(vec![tok, hex.to_string()]));
    let (r, code) = json_report(&["git", d.to_str().unwrap(), "--no-binary"]);
    assert_eq!(code, 0, "{r}");
}

/// A `.pyc` compiled by python3 (when it is installed) from a module whose string constants
/// are each of `values` followed by a URL; otherwise the same marshal layout written here: each
/// short ASCII string (`z`, length, bytes) directly followed by the next one's type byte `z`.
fn compiled_pyc(dir: &Path, values: &[&str]) -> Vec<u8> {
    let source: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!("V{i} = \"{v}\"  # patrol:allow\nU{i} = \"https://example.com/{i}\"\n")
        })
        .collect();
    let py = write(dir, "src/settings.py", source);
    let pyc = dir.join("settings.pyc");
    let compiled = Std::new("python3")
        .args(["-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)"])
        .arg(&py)
        .arg(&pyc)
        .status()
        .is_ok_and(|s| s.success());
    std::fs::remove_file(&py).unwrap();
    if compiled {
        return std::fs::read(&pyc).unwrap();
    }
    let mut out = vec![
        0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe3,
    ];
    out.extend_from_slice(&[0u8; 24]);
    for (i, v) in values.iter().enumerate() {
        for s in [v.to_string(), format!("https://example.com/{i}")] {
            out.push(b'z');
            out.push(s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
    }
    out.extend_from_slice(&[b'N', 0x29, 0]);
    out
}

#[test]
fn a_token_followed_by_a_letter_in_a_pyc_is_found_by_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (good, pat, bad) = (mint("ghp"), mint("github_pat"), mint("ghp:bad"));
    let pyc = compiled_pyc(d, &[&good, &pat, &bad]);
    std::fs::remove_file(d.join("settings.pyc")).ok();
    // The layout that hid them: the token's last character, then a letter.
    let at = memchr_find(&pyc, good.as_bytes()) + good.len();
    assert!(pyc[at].is_ascii_alphabetic(), "{:?}", pyc[at] as char);
    write(d, "__pycache__/settings.cpython-311.pyc", &pyc);
    let (r, code) = scan(d, &[]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        sorted(secrets(&r)),
        sorted(vec![good, pat]),
        "no look-alike: {r}"
    );
    // Text keeps its boundary: the same token followed by a letter in a text file is no token.
    let text = tempfile::tempdir().unwrap();
    write(text.path(), "notes.txt", format!("x {}z\n", mint("ghp")));
    let (r, code) = scan(text.path(), &[]);
    assert_eq!(code, 0, "{r}");
}

#[test]
fn with_binary_a_token_followed_by_a_letter_in_a_pyc_is_found_by_its_checksum_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (good, pat, bad) = (mint("ghp"), mint("github_pat"), mint("ghp:bad"));
    let pyc = compiled_pyc(d, &[&good, &pat, &bad]);
    std::fs::remove_file(d.join("settings.pyc")).ok();
    let at = memchr_find(&pyc, good.as_bytes()) + good.len();
    assert!(pyc[at].is_ascii_alphabetic(), "{:?}", pyc[at] as char);
    write(d, "__pycache__/settings.cpython-311.pyc", &pyc);
    // `--binary` adds the context rules; binary content is read the same way.
    let (r, code) = scan(d, &["--binary"]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        sorted(secrets(&r)),
        sorted(vec![good, pat]),
        "no look-alike: {r}"
    );
    // Text keeps its boundary with `--binary` as without it.
    let text = tempfile::tempdir().unwrap();
    write(text.path(), "notes.txt", format!("x {}z\n", mint("ghp")));
    let (r, code) = scan(text.path(), &["--binary"]);
    assert_eq!(code, 0, "{r}");
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}
