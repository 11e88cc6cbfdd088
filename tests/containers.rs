//! Containers recognised by their content (zip and the formats that are zips, gzip, bzip2, xz,
//! zstd, tar), whatever the file is called, within the archive limits, in `scan` and in
//! `patrol git`. Every fixture is built here, with tokens minted at test time.

mod common;

use std::io::Write;
use std::path::Path;

use common::image::{gzip, tar, zstd};
use common::*;

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(data).unwrap();
    bz.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let options = lzma_rust2::XzOptions::with_preset(1);
        let mut w = lzma_rust2::XzWriter::new(&mut out, options)
            .unwrap()
            .auto_finish();
        w.write_all(data).unwrap();
    }
    out
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in members {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// The single location of `secret`'s finding: (path, decoding steps).
fn place(report: &serde_json::Value, secret: &str) -> (String, Vec<String>) {
    let loc = &finding(report, secret)["locations"][0];
    let decoded = loc["decoded"]
        .as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (loc["path"].as_str().unwrap().to_string(), decoded)
}

fn scan(dir: &Path, extra: &[&str]) -> (serde_json::Value, i32) {
    let mut args = vec!["scan", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    json_report(&args)
}

#[test]
fn compressed_files_are_recognised_by_content_whatever_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [a, b, c, e] = ["ghp", "ghp", "gho", "ghp"].map(mint);
    write(d, "notes.txt", gzip(format!("token = {a}\n").as_bytes()));
    let env = format!("GITHUB_TOKEN={b}\n");
    write(
        d,
        "backup.tar.xz",
        xz(&tar(&[("conf/app.env", env.as_bytes())])),
    );
    write(d, "dump.bz2", bzip2(format!("oauth {c}\n").as_bytes()));
    write(d, "cache.bin", zstd(format!("t: {e}\n").as_bytes()));
    let (r, code) = scan(d, &[]);
    assert_eq!(code, 1, "{r}");
    let p = |name: &str| d.join(name).display().to_string();
    let cases = [
        (&a, format!("{}!notes.txt", p("notes.txt")), vec!["gzip"]),
        (
            &b,
            format!("{}!conf/app.env", p("backup.tar.xz")),
            vec!["xz", "tar"],
        ),
        (&c, format!("{}!dump", p("dump.bz2")), vec!["bzip2"]),
        (&e, format!("{}!cache.bin", p("cache.bin")), vec!["zstd"]),
    ];
    for (secret, path, decoded) in cases {
        assert_eq!(
            place(&r, secret),
            (path, decoded.iter().map(|s| s.to_string()).collect())
        );
    }
}

#[test]
fn zips_under_any_name_and_a_crx_header_are_opened() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [a, b] = ["ghp", "ghu"].map(mint);
    let xml =
        format!("<w:document><w:body><w:p><w:r><w:t>{a}</w:t></w:r></w:p></w:body></w:document>");
    write(
        d,
        "report.docx",
        zip(&[("word/document.xml", xml.as_bytes())]),
    );
    // A Chrome extension: `Cr24`, version 3, a header of 4 bytes, then the zip.
    let mut crx = b"Cr24\x03\0\0\0\x04\0\0\0abcd".to_vec();
    crx.extend(zip(&[(
        "background.js",
        format!("const t = '{b}';").as_bytes(),
    )]));
    write(d, "ext.crx", crx);
    let (r, code) = scan(d, &[]);
    assert_eq!(code, 1, "{r}");
    let docx = d.join("report.docx").display().to_string();
    assert_eq!(place(&r, &a).0, format!("{docx}!word/document.xml"));
    let crx = d.join("ext.crx").display().to_string();
    assert_eq!(place(&r, &b).0, format!("{crx}!background.js"));
}

#[test]
fn nested_containers_open_up_to_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tok = mint("ghp");
    // A zip in a tar in bzip2: three levels, named to mislead.
    let inner = zip(&[("secrets.env", format!("T={tok}\n").as_bytes())]);
    write(d, "layers.dat", bzip2(&tar(&[("inner.bin", &inner)])));
    let (r, code) = scan(d, &[]);
    assert_eq!(code, 1, "{r}");
    let shown = d.join("layers.dat").display().to_string();
    assert_eq!(
        place(&r, &tok),
        (
            format!("{shown}!inner.bin!secrets.env"),
            ["bzip2", "tar", "zip"].map(String::from).to_vec()
        )
    );
    let (r, code) = scan(d, &["--max-archive-depth", "1"]);
    assert_eq!(code, 5, "{r}");
    assert!(secrets(&r).is_empty());
    assert!(
        r["errors"].to_string().contains("--max-archive-depth"),
        "{r}"
    );
}

#[test]
fn a_bomb_in_every_new_format_is_an_incomplete_scan_and_other_findings_stay() {
    // Text (a binary member would be skipped after its first bytes, never inflated).
    let zeros = vec![b'a'; 4 << 20];
    for (name, bytes) in [
        ("bomb.bz2", bzip2(&zeros)),
        ("bomb.xz", xz(&zeros)),
        ("bomb.zst", zstd(&zeros)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let tok = mint("ghp");
        write(d, name, bytes);
        write(d, "plain.txt", format!("token {tok}\n"));
        // Findings decide the exit code; the scan is still marked incomplete.
        let (r, code) = scan(d, &[]);
        assert_eq!(code, 1, "{name}: {r}");
        assert_eq!(r["summary"]["incomplete"], true, "{name}: {r}");
        assert_eq!(secrets(&r), vec![tok], "{name}");
        assert!(r["errors"].to_string().contains("ratio"), "{name}: {r}");
        let (r, code) = json_report(&["scan", d.join(name).to_str().unwrap()]);
        assert_eq!(code, 5, "{name}: {r}");
    }
}

#[test]
fn a_bad_checksum_look_alike_inside_an_archive_stays_unreported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = mint("ghp:bad");
    write(d, "notes.txt", gzip(format!("example {fake}\n").as_bytes()));
    write(
        d,
        "a.tar.zst",
        zstd(&tar(&[("x", format!("{fake}\n").as_bytes())])),
    );
    let (r, code) = scan(d, &[]);
    assert_eq!(code, 0, "{r}");
    assert!(secrets(&r).is_empty(), "{r}");
}

#[test]
fn no_archives_scans_a_gzip_named_txt_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tok = mint("ghp");
    write(d, "notes.txt", gzip(format!("token = {tok}\n").as_bytes()));
    let (r, code) = scan(d, &["--no-archives"]);
    assert_eq!(code, 0, "{r}");
    assert!(secrets(&r).is_empty());
}

/// The single location of `secret`'s finding in a `patrol git` report: (path, decoding steps,
/// commit id).
fn git_place(report: &serde_json::Value, secret: &str) -> (String, Vec<String>, String) {
    let (path, decoded) = place(report, secret);
    let loc = &finding(report, secret)["locations"][0];
    let commit = loc["git"]["commit"]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (path, decoded, commit)
}

#[test]
fn history_opens_archives_compressed_files_and_documents_like_scan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let [a, b, c, e, f] = ["ghp", "ghp", "gho", "ghu", "ghp"].map(mint);
    let fake = mint("ghp:bad");
    let env = format!("GITHUB_TOKEN={a}\n");
    write(
        d,
        "backup.tar.gz",
        gzip(&tar(&[("conf/app.env", env.as_bytes())])),
    );
    write(
        d,
        "bundle.zip",
        zip(&[("src/config.js", format!("const t = '{b}';").as_bytes())]),
    );
    // A token split across two runs of a paragraph: found only once the XML is decoded.
    let paragraph = |t: &str| {
        let (x, y) = t.split_at(9);
        format!(
            "<w:document><w:body><w:p><w:r><w:t>{x}</w:t></w:r><w:r><w:t>{y}</w:t></w:r></w:p></w:body></w:document>"
        )
    };
    let xml = paragraph(&c);
    write(
        d,
        "docs/report.docx",
        zip(&[("word/document.xml", xml.as_bytes())]),
    );
    write(
        d,
        "cache/data",
        gzip(format!("token {e}\n{fake}\n").as_bytes()),
    );
    // A docx inside a zip: documents are recognised as members too.
    let docx = zip(&[("word/document.xml", paragraph(&f).as_bytes())]);
    write(d, "outer.zip", zip(&[("in/notes.docx", &docx)]));
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "add archives"]);
    let commit = git(d, &["rev-parse", "HEAD"]);
    let (r, code) = json_report(&["git", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![a.clone(), b.clone(), c.clone(), e.clone(), f.clone()];
    want.sort();
    assert_eq!(found, want, "the look-alike stays unreported: {r}");
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = [
        (&a, "backup.tar.gz!conf/app.env", s(&["gzip", "tar"])),
        (&b, "bundle.zip!src/config.js", s(&["zip"])),
        (&c, "docs/report.docx!word/document.xml", s(&["zip", "xml"])),
        (&e, "cache/data!data", s(&["gzip"])),
        (
            &f,
            "outer.zip!in/notes.docx!word/document.xml",
            s(&["zip", "zip", "xml"]),
        ),
    ];
    for (secret, path, decoded) in cases {
        assert_eq!(
            git_place(&r, secret),
            (path.to_string(), decoded, commit.clone()),
            "{r}"
        );
    }
    // The same files read by `patrol scan` are found at the same places.
    let (scanned, _) = scan(d, &[]);
    for secret in [&a, &b, &c, &e, &f] {
        let (path, decoded) = place(&scanned, secret);
        let (git_path, git_decoded, _) = git_place(&r, secret);
        assert!(path.ends_with(&git_path), "{path} vs {git_path}");
        assert_eq!(decoded, git_decoded);
    }
    // --no-archives leaves them closed.
    let (r, code) = json_report(&["git", d.to_str().unwrap(), "--no-archives"]);
    assert_eq!(code, 0, "{r}");
}

#[test]
fn history_archives_keep_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let tok = mint("ghp");
    let inner = zip(&[("secrets.env", format!("T={tok}\n").as_bytes())]);
    write(d, "layers.dat", bzip2(&tar(&[("inner.bin", &inner)])));
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "nested"]);
    let (r, code) = json_report(&["git", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        place(&r, &tok),
        (
            "layers.dat!inner.bin!secrets.env".to_string(),
            ["bzip2", "tar", "zip"].map(String::from).to_vec()
        )
    );
    let (r, code) = json_report(&["git", d.to_str().unwrap(), "--max-archive-depth", "1"]);
    assert_eq!(code, 5, "{r}");
    assert!(secrets(&r).is_empty());
    assert!(
        r["errors"].to_string().contains("--max-archive-depth"),
        "{r}"
    );
}

#[test]
fn log_archive_members_keep_their_container_steps_and_documents_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [a, b] = ["ghp", "gho"].map(mint);
    // A mail saved as a log artifact: its token wrapped by a quoted-printable soft break.
    let (b1, b2) = b.split_at(20);
    let mail = format!(
        "From: ci@example.com\r\nSubject: report\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ntoken {b1}=\r\n{b2}\r\n"
    );
    write(
        d,
        "run.zip",
        zip(&[
            (
                "build/1_Run tests.txt",
                format!("2024-05-01T12:00:00.0000000Z echo {a}\n").as_bytes(),
            ),
            ("build/report.eml", mail.as_bytes()),
        ]),
    );
    let (r, code) = json_report(&["logs", d.join("run.zip").to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    let shown = d.join("run.zip").display().to_string();
    assert_eq!(
        place(&r, &a),
        (
            format!("{shown}!build/1_Run tests.txt"),
            vec!["zip".to_string()]
        )
    );
    assert_eq!(
        place(&r, &b),
        (
            format!("{shown}!build/report.eml"),
            ["zip", "quoted-printable"].map(String::from).to_vec()
        )
    );
}

#[test]
fn every_frame_of_a_zstd_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [a, b] = ["ghp", "gho"].map(mint);
    // Two frames with a skippable frame between them, as `zstd` and `pzstd` write them.
    let mut frames = zstd(format!("first frame {a}\n").as_bytes());
    frames.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    frames.extend(zstd(format!("second frame {b}\n").as_bytes()));
    write(d, "log.zst", frames);
    let (r, code) = scan(d, &[]);
    assert_eq!(code, 1, "{r}");
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![a, b.clone()];
    want.sort();
    assert_eq!(found, want, "{r}");
    assert_eq!(
        place(&r, &b),
        (
            format!("{}!log", d.join("log.zst").display()),
            vec!["zstd".to_string()]
        )
    );
}
