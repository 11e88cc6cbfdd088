//! `patrol logs` on local logs and archives (built in the tests), and archives met by `scan`.

mod common;

use std::io::Write;

use common::*;

const TS: &str = "2025-04-07T12:57:33.2904078Z";

fn log_text(tok: &str) -> String {
    format!(
        "\u{feff}{TS} ##[group]Run actions/checkout@v4\r\n\
         {TS} \x1b[36;1mecho \"$GH_TOKEN\"\x1b[0m\r\n\
         {TS}   GITHUB_TOKEN: ***\r\n\
         {TS} ##[endgroup]\r\n\
         {TS} Using token {}\x1b[0m\x1b[32m{} (expires in 8h)\r\n",
        &tok[..10],
        &tok[10..]
    )
}

fn zip_bytes(members: &[(&str, String)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in members {
            z.start_file(*name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn plain_log_with_bom_crlf_ansi_split_token_and_masks() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(dir.path(), "run-1/0_build.txt", log_text(&tok));
    let (r, code) = json_report(&["logs", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        secrets(&r),
        vec![tok.clone()],
        "the *** mask is not a finding"
    );
    let loc = &finding(&r, &tok)["locations"][0];
    assert_eq!(loc["source"], "log");
    assert_eq!(loc["line"], 5);
    assert_eq!(loc["log"]["timestamp"], TS);
    assert_eq!(loc["log"]["job"], "build");
}

#[test]
fn github_run_log_zip_gives_job_and_step_names() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("github_pat");
    let text = log_text(&tok);
    let zip = zip_bytes(&[
        ("0_build.txt", text.clone()),
        (
            "build/1_Set up job.txt",
            format!("{TS} Current runner version\n"),
        ),
        ("build/2_Run tests.txt", text),
        ("1_lint.txt", format!("{TS} clean\n")),
    ]);
    write(dir.path(), "logs_42.zip", &zip);
    let (r, _) = json_report(&["logs", dir.path().join("logs_42.zip").to_str().unwrap()]);
    let locs = finding(&r, &tok)["locations"].as_array().unwrap().clone();
    assert_eq!(locs.len(), 2);
    let top = locs
        .iter()
        .find(|l| l["log"]["member"] == "0_build.txt")
        .unwrap();
    assert_eq!(top["log"]["job"], "build");
    assert!(top["log"]["step"].is_null());
    assert!(
        top["path"]
            .as_str()
            .unwrap()
            .ends_with("logs_42.zip!0_build.txt")
    );
    let step = locs
        .iter()
        .find(|l| l["log"]["member"] == "build/2_Run tests.txt")
        .unwrap();
    assert_eq!(step["log"]["job"], "build");
    assert_eq!(step["log"]["step"], "Run tests");
    assert_eq!(step["log"]["timestamp"], TS);
    assert!(
        step["log"]["archive"]
            .as_str()
            .unwrap()
            .ends_with("logs_42.zip")
    );
}

#[test]
fn gz_and_tar_gz_logs_are_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let a = mint("ghs");
    let b = mint("gho");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(log_text(&a).as_bytes()).unwrap();
    write(dir.path(), "job.log.gz", gz.finish().unwrap());

    let mut tar = tar::Builder::new(Vec::new());
    let body = log_text(&b);
    let mut header = tar::Header::new_gnu();
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "logs/deploy/3_Publish.txt", body.as_bytes())
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    write(dir.path(), "all-logs.tar.gz", gz.finish().unwrap());

    let (r, _) = json_report(&["logs", dir.path().to_str().unwrap()]);
    let la = &finding(&r, &a)["locations"][0];
    assert!(
        la["path"].as_str().unwrap().ends_with("job.log.gz!job.log"),
        "{la}"
    );
    let lb = &finding(&r, &b)["locations"][0];
    assert_eq!(lb["log"]["step"], "Publish");
    assert_eq!(lb["log"]["job"], "deploy");
}

#[test]
fn broken_archives_and_bombs_are_reported_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(dir.path(), "a-good.txt", log_text(&tok));
    let mut truncated = zip_bytes(&[("0_x.txt", log_text(&mint("gho")))]);
    truncated.truncate(truncated.len() / 2);
    write(dir.path(), "b-truncated.zip", &truncated);
    write(dir.path(), "c-not-gzip.gz", b"this is not gzip data at all");
    // 20 MB of one letter compress about a thousandfold: over the default ratio limit.
    let bomb = zip_bytes(&[("0_bomb.txt", "a".repeat(20 << 20))]);
    write(dir.path(), "d-bomb.zip", &bomb);
    let out = patrol()
        .args([
            "logs",
            dir.path().to_str().unwrap(),
            "-f",
            "json",
            "--show-secrets",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(secrets(&r), vec![tok]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("b-truncated.zip"), "{stderr}");
    assert!(stderr.contains("c-not-gzip.gz"), "{stderr}");
    assert!(stderr.contains("ratio"), "{stderr}");
}

#[test]
fn total_size_limit_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    // Incompressible text, so that the size limit (not the ratio) is what stops it.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let noise: String = (0..3 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 90) as u8)
        })
        .collect();
    let zip = zip_bytes(&[("0_a.txt", noise), ("1_b.txt", log_text(&mint("ghp")))]);
    write(dir.path(), "big.zip", &zip);
    let tok = mint("gho");
    write(dir.path(), "next.log", log_text(&tok));
    let out = patrol()
        .args([
            "logs",
            "--max-archive-bytes",
            "1M",
            "-f",
            "json",
            "--show-secrets",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--max-archive-bytes"), "{stderr}");
    // The scan went on: the log after the archive was scanned and decides the exit code.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(secrets(&r), vec![tok]);
    let errors = error_messages(&r);
    assert!(errors.contains("big.zip"), "{errors}");
}

#[test]
fn scan_opens_archives_unless_no_archives() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let inner = zip_bytes(&[("deploy/.env.deploy", format!("GHCR_TOKEN={tok}\n"))]);
    let outer = zip_bytes(&[("README.md", "# backup\n".to_string())]);
    write(dir.path(), "backup.zip", &inner);
    write(dir.path(), "other.zip", &outer);
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    let loc = &finding(&r, &tok)["locations"][0];
    assert!(
        loc["path"]
            .as_str()
            .unwrap()
            .ends_with("backup.zip!deploy/.env.deploy")
    );
    assert_eq!(loc["line"], 1);
    let (_, code) = json_report(&["scan", "--no-archives", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
}

#[test]
fn logs_from_stdin_and_a_usage_error_without_inputs() {
    let tok = mint("ghu");
    let out = patrol()
        .args(["logs", "-", "-f", "jsonl", "--show-secrets"])
        .write_stdin(log_text(&tok))
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["secret"], tok.as_str());
    patrol().arg("logs").assert().code(2);
}

/// `patrol logs` skips a FIFO met in a directory (counted, never opened) and reads one named on
/// the command line, as `patrol logs <(kubectl logs …)` passes.
#[cfg(unix)]
#[test]
fn fifos_are_skipped_in_a_walk_and_read_when_named() {
    use std::os::unix::ffi::OsStrExt;
    let mkfifo = |p: &std::path::Path| {
        let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    };
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(dir.path(), "logs/job.txt", log_text(&tok));
    mkfifo(&dir.path().join("logs/live.txt"));
    let named = dir.path().join("named");
    mkfifo(&named);
    let streamed = mint("ghu");
    let writer = {
        let (named, text) = (named.clone(), log_text(&streamed));
        std::thread::spawn(move || std::fs::write(named, text))
    };
    let out = patrol()
        .args(["logs", "-f", "json", "--show-secrets"])
        .arg(dir.path().join("logs"))
        .arg(&named)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("patrol finished in time");
    writer.join().unwrap().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![tok, streamed];
    want.sort();
    assert_eq!(found, want);
    assert_eq!(r["summary"]["skipped_special"], 1);
}

/// A `.tar` holding `members`.
fn tar_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, &data[..]).unwrap();
    }
    tar.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// Runs `patrol ARGS -f json --show-secrets` within a minute: (report, exit code, stderr).
fn logs_report(args: &[&str]) -> (serde_json::Value, i32, String) {
    let out = patrol()
        .args(args)
        .args(["-f", "json", "--show-secrets"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("patrol finished in time");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let r =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {stderr}"));
    (r, out.status.code().unwrap_or(-1), stderr)
}

fn error_messages(r: &serde_json::Value) -> String {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}\n", e["path"], e["message"]))
        .collect()
}

/// outer.zip ! inner.tar.gz ! deep.zip ! .env, with a token at each level.
fn nested(dir: &std::path::Path) -> [String; 3] {
    let (t1, t2, t3) = (mint("ghp"), mint("gho"), mint("ghu"));
    let deep = zip_bytes(&[(".env", format!("GH_TOKEN={t3}\n"))]);
    let inner = gzip(&tar_bytes(&[
        ("deep.zip", deep),
        ("job.txt", log_text(&t2).into_bytes()),
    ]));
    let mut outer = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut outer);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("0_top.txt", opts).unwrap();
        z.write_all(log_text(&t1).as_bytes()).unwrap();
        z.start_file("inner.tar.gz", opts).unwrap();
        z.write_all(&inner).unwrap();
        z.finish().unwrap();
    }
    write(dir, "outer.zip", outer.into_inner());
    [t1, t2, t3]
}

#[test]
fn nested_archives_are_opened_to_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    let [t1, t2, t3] = nested(dir.path());
    let path = dir.path().join("outer.zip");
    let path = path.to_str().unwrap();
    let (r, code, _) = logs_report(&["logs", path]);
    assert_eq!(code, 1);
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![t1.clone(), t2.clone(), t3.clone()];
    want.sort();
    assert_eq!(found, want, "{}", error_messages(&r));
    let deepest = finding(&r, &t3)["locations"][0]["path"].as_str().unwrap();
    assert!(
        deepest.ends_with("outer.zip!inner.tar.gz!deep.zip!.env"),
        "{deepest}"
    );
    assert!(r["errors"].as_array().unwrap().is_empty());

    // Depth 2: the zip inside the tar.gz is not opened, and that is a problem.
    let (r, code, _) = logs_report(&["logs", "--max-archive-depth", "2", path]);
    assert_eq!(code, 1);
    let found = secrets(&r);
    assert!(found.contains(&t1) && found.contains(&t2) && !found.contains(&t3));
    let errors = error_messages(&r);
    assert!(
        errors.contains("deep.zip") && errors.contains("--max-archive-depth"),
        "{errors}"
    );
}

/// The byte budget belongs to each top-level archive: a hostile one is reported as not read
/// completely, and the archives after it are still scanned.
#[test]
fn an_archive_over_the_byte_limit_does_not_starve_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let noise: String = (0..3 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 90) as u8)
        })
        .collect();
    write(
        dir.path(),
        "a.zip",
        zip_bytes(&[("0_a.txt", noise.clone())]),
    );
    let tok = mint("ghp");
    // Within the limit on its own (600 KB), not in what a shared budget would leave.
    let b_log = format!("{}\n{}", &noise[..600 << 10], log_text(&tok));
    write(dir.path(), "b.zip", zip_bytes(&[("0_b.txt", b_log)]));
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    let (r, code, _) = logs_report(&[
        "logs",
        "-j",
        "1",
        "--max-archive-bytes",
        "1M",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(
        code, 1,
        "the scan went on and found the next archive's token"
    );
    assert_eq!(secrets(&r), vec![tok]);
    let errors = error_messages(&r);
    assert!(
        errors.contains("a.zip") && errors.contains("--max-archive-bytes"),
        "{errors}"
    );
}

/// Offset of the first `sig` in `data`.
fn find(data: &[u8], sig: &[u8]) -> usize {
    data.windows(sig.len()).position(|w| w == sig).unwrap()
}

/// A member that declares a compressed size far larger than the bytes it really uses gets no
/// larger ratio allowance: the ratio is counted on bytes consumed.
#[test]
fn the_ratio_limit_counts_bytes_consumed_not_declared() {
    let dir = tempfile::tempdir().unwrap();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let padding: String = (0..400 << 10)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 90) as u8)
        })
        .collect();
    let mut zip = zip_bytes(&[("0_bomb.txt", "a".repeat(20 << 20)), ("1_pad.txt", padding)]);
    // The bomb's compressed size now claims every byte up to the central directory, the
    // padding member's included.
    let central = find(&zip, b"PK\x01\x02");
    let data_start = 30 + "0_bomb.txt".len();
    let declared = ((central - data_start) as u32).to_le_bytes();
    zip[18..22].copy_from_slice(&declared);
    zip[central + 20..central + 24].copy_from_slice(&declared);
    write(dir.path(), "bomb.zip", &zip);
    let tok = mint("ghp");
    write(dir.path(), "z-after.txt", log_text(&tok));
    let (r, code, _) = logs_report(&["logs", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(secrets(&r), vec![tok]);
    let errors = error_messages(&r);
    assert!(
        errors.contains("0_bomb.txt") && errors.contains("ratio"),
        "{errors}"
    );
}

/// Two central-directory entries pointing at the same data (the overlapping-member zip bomb):
/// the second is reported and not read.
#[test]
fn overlapping_zip_members_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let zip = zip_bytes(&[("0_job.txt", log_text(&tok))]);
    let central = find(&zip, b"PK\x01\x02");
    let eocd = find(&zip, b"PK\x05\x06");
    let entry = zip[central..eocd].to_vec();
    let mut forged = zip[..eocd].to_vec();
    // Names are unique in a zip's directory: the second entry is `1_job.txt`.
    let mut entry = entry;
    entry[46] = b'1';
    forged.extend_from_slice(&entry);
    let mut end = zip[eocd..].to_vec();
    // Entries on this disk and in total: 2; central directory size doubled.
    end[8..10].copy_from_slice(&2u16.to_le_bytes());
    end[10..12].copy_from_slice(&2u16.to_le_bytes());
    end[12..16].copy_from_slice(&((2 * entry.len()) as u32).to_le_bytes());
    forged.extend_from_slice(&end);
    write(dir.path(), "overlap.zip", &forged);
    let (r, code, _) = logs_report(&["logs", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(secrets(&r), vec![tok]);
    let errors = error_messages(&r);
    assert!(errors.contains("overlaps"), "{errors}");
}
