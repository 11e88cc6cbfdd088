//! Documents whose text is hidden by their format (issue 11): Office Open XML and OpenDocument
//! parts, PDF streams and strings, MIME email. Every fixture is built here with minted tokens:
//! a valid token is found with its location and decoding chain, a bad-checksum look-alike next
//! to it stays unreported.

mod common;

use std::io::Write;
use std::path::Path;

use common::{json_report, mint, secrets, write};
use serde_json::Value;

fn zip(path: &Path, members: &[(&str, &str)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(file);
    for (name, body) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `token` cut in two, its 5th character written as a numeric XML entity.
fn split_with_entity(token: &str) -> (String, String) {
    let (a, b) = token.split_at(9);
    let c = a.as_bytes()[4];
    (format!("{}&#{c};{}", &a[..4], &a[5..]), b.to_string())
}

fn scan(dir: &Path, target: &str) -> (Value, i32) {
    json_report(&["scan", dir.join(target).to_str().unwrap()])
}

fn location(report: &Value, secret: &str) -> Value {
    let f = common::finding(report, secret);
    assert_eq!(f["location_count"], 1, "counted once: {f}");
    f["locations"][0].clone()
}

fn ends_with(path: &Value, suffix: &str) -> bool {
    path.as_str().is_some_and(|p| p.ends_with(suffix))
}

#[test]
fn docx_runs_of_a_paragraph_are_joined_and_entities_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = (mint("ghp"), mint("ghp:bad"));
    let (g1, g2) = split_with_entity(&good);
    let (b1, b2) = split_with_entity(&bad);
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<w:document><w:body>\n<w:p><w:r><w:t>{g1}</w:t></w:r>\n  <w:r><w:t>{g2}</w:t></w:r></w:p>\n<w:p><w:r><w:t>{b1}</w:t></w:r><w:r><w:t>{b2}</w:t></w:r></w:p>\n</w:body></w:document>"
    );
    zip(
        &dir.path().join("report.docx"),
        &[("word/document.xml", &xml)],
    );
    let (report, code) = scan(dir.path(), "report.docx");
    assert_eq!(secrets(&report), vec![good.clone()], "{report}");
    assert_eq!(code, 1);
    let l = location(&report, &good);
    assert!(
        ends_with(&l["path"], "report.docx!word/document.xml"),
        "{l}"
    );
    assert_eq!(l["line"], 3, "{l}");
    assert!(
        l["decoded"].as_array().unwrap().contains(&"xml".into()),
        "{l}"
    );
}

#[test]
fn xlsx_shared_strings_and_odt_spans_are_joined() {
    let dir = tempfile::tempdir().unwrap();
    let (sheet_token, odt_token) = (mint("gho"), mint("ghp"));
    let (s1, s2) = sheet_token.split_at(12);
    let (o1, o2) = odt_token.split_at(6);
    let bad = mint("ghp:bad");
    let (b1, b2) = bad.split_at(6);
    let strings =
        format!("<sst><si><r><t>{s1}</t></r><r><t>{s2}</t></r></si><si><t>x</t></si></sst>");
    zip(
        &dir.path().join("book.xlsx"),
        &[("xl/sharedStrings.xml", &strings)],
    );
    let content = format!(
        "<office:text><text:p>{o1}<text:span>{o2}</text:span></text:p><text:p>{b1}<text:span>{b2}</text:span></text:p></office:text>"
    );
    zip(&dir.path().join("notes.odt"), &[("content.xml", &content)]);
    let (report, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    let mut found = secrets(&report);
    found.sort();
    let mut want = vec![sheet_token.clone(), odt_token.clone()];
    want.sort();
    assert_eq!(found, want, "{report}");
    assert!(ends_with(
        &location(&report, &sheet_token)["path"],
        "book.xlsx!xl/sharedStrings.xml"
    ));
    assert!(ends_with(
        &location(&report, &odt_token)["path"],
        "notes.odt!content.xml"
    ));
}

/// A PDF whose page content is one deflated stream holding a token split across a `TJ` array,
/// and a token as a hex string outside any stream.
fn pdf(in_stream: &str, bad: &str, hex_token: &str) -> Vec<u8> {
    let (a, b) = in_stream.split_at(10);
    let content = format!("BT /F1 12 Tf 72 712 Td [({a}) -12 ({b})] TJ ({bad}) Tj ET");
    let packed = deflate(content.as_bytes());
    let hex: String = hex_token.bytes().map(|c| format!("{c:02X}")).collect();
    let mut out = b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
    out.extend_from_slice(
        format!(
            "4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            packed.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&packed);
    out.extend_from_slice(format!("\nendstream\nendobj\n5 0 obj\n<< /Title <{hex}> >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n").as_bytes());
    out
}

#[test]
fn pdf_deflated_streams_and_hex_strings_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let (streamed, hexed, bad) = (mint("ghp"), mint("ghs"), mint("ghp:bad"));
    write(dir.path(), "paper.pdf", pdf(&streamed, &bad, &hexed));
    let (report, code) = scan(dir.path(), "paper.pdf");
    let mut found = secrets(&report);
    found.sort();
    let mut want = vec![streamed.clone(), hexed.clone()];
    want.sort();
    assert_eq!(found, want, "{report}");
    assert_eq!(code, 1, "{report}");
    let l = location(&report, &streamed);
    assert!(ends_with(&l["path"], "paper.pdf"), "{l}");
    assert_eq!(
        l["decoded"],
        serde_json::json!(["flate", "pdf-string"]),
        "{l}"
    );
    assert_eq!(l["line"], 8, "the line where the stream starts: {l}");
    let h = location(&report, &hexed);
    assert_eq!(h["decoded"], serde_json::json!(["pdf-string"]), "{h}");
}

#[test]
fn pdf_recognised_by_content_and_a_plain_string_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let token = mint("ghp");
    let body = format!("%PDF-1.4\n1 0 obj\n<< /Subject ({token}) >>\nendobj\n");
    write(dir.path(), "download.bin", body);
    let (report, _) = scan(dir.path(), "download.bin");
    let l = location(&report, &token);
    assert_eq!(
        l["decoded"],
        serde_json::json!([]),
        "found raw, kept raw: {l}"
    );
}

#[test]
fn a_pdf_deflate_bomb_is_an_incomplete_scan_and_a_broken_pdf_is_scanned_raw() {
    let dir = tempfile::tempdir().unwrap();
    let token = mint("ghp");
    let mut bomb = b"%PDF-1.5\n1 0 obj <</Filter /FlateDecode>>\nstream\n".to_vec();
    bomb.extend_from_slice(&deflate(&vec![b'a'; 16 << 20]));
    bomb.extend_from_slice(format!("\nendstream\nendobj\n% {token}\n").as_bytes());
    write(dir.path(), "bomb.pdf", bomb);
    let (report, code) = scan(dir.path(), "bomb.pdf");
    assert_eq!(secrets(&report), vec![token.clone()], "{report}");
    let errors = report["errors"].to_string();
    assert!(errors.contains("ratio"), "{report}");
    assert_eq!(code, 1, "findings decide the code");
    let only_bomb = dir.path().join("only");
    std::fs::create_dir(&only_bomb).unwrap();
    let mut b = b"%PDF-1.5\n1 0 obj <</Filter /FlateDecode>>\nstream\n".to_vec();
    b.extend_from_slice(&deflate(&vec![b'a'; 16 << 20]));
    write(&only_bomb, "b.pdf", b);
    assert_eq!(scan(&only_bomb, "b.pdf").1, 5);

    let broken = format!("%PDF-1.7\n1 0 obj << /Filter /FlateDecode >> stream\nnot zlib {token}\n");
    write(dir.path(), "broken.pdf", broken);
    let (report, code) = scan(dir.path(), "broken.pdf");
    assert_eq!(secrets(&report), vec![token], "{report}");
    assert_eq!(code, 1);
}

/// A one-page PDF whose page content is two streams: a deflated one showing `streamed` and
/// `bad` each split across two `Tj` operators, and a plain one showing `plain` split the same
/// way, one piece per line.
fn pdf_with_split_tj(streamed: &str, bad: &str, plain: &str) -> Vec<u8> {
    let (a, b) = streamed.split_at(11);
    let (c, d) = bad.split_at(23);
    let (e, f) = plain.split_at(7);
    let content = format!(
        "BT /F1 12 Tf 72 712 Td ({a}) Tj 0 Tc ({b}) Tj ( is the key) Tj 0 -14 Td ({c}) Tj ({d}) Tj ET"
    );
    let packed = deflate(content.as_bytes());
    let plain_content = format!("BT /F1 12 Tf 72 600 Td\n({e}) Tj\n({f}) Tj\nET");
    let mut out = b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [4 0 R 5 0 R] >>\nendobj\n"
        .to_vec();
    out.extend_from_slice(
        format!(
            "4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            packed.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&packed);
    out.extend_from_slice(
        format!(
            "\nendstream\nendobj\n5 0 obj\n<< /Length {} >>\nstream\n{plain_content}\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
            plain_content.len()
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_pdf_token_split_across_tj_operators_is_found_where_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (streamed, bad, plain) = (mint("ghp"), mint("ghp:bad"), mint("gho"));
    let pdf = pdf_with_split_tj(&streamed, &bad, &plain);
    write(dir.path(), "statement.pdf", &pdf);
    let (report, code) = scan(dir.path(), "statement.pdf");
    let mut found = secrets(&report);
    found.sort();
    let mut want = vec![streamed.clone(), plain.clone()];
    want.sort();
    assert_eq!(
        found, want,
        "the look-alike split the same way stays out: {report}"
    );
    assert_eq!(code, 1, "{report}");
    let l = location(&report, &streamed);
    assert_eq!(
        l["decoded"],
        serde_json::json!(["flate", "pdf-string"]),
        "{l}"
    );
    let stream_at = memchr::memmem::find(&pdf, b"stream\n").unwrap() + 7;
    let line_of = |at: usize| pdf[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    assert_eq!(
        l["line"],
        line_of(stream_at),
        "where the stream starts: {l}"
    );
    // In a plain stream, the token's first character: its line and column in the file.
    let p = location(&report, &plain);
    assert_eq!(p["decoded"], serde_json::json!(["pdf-string"]), "{p}");
    let at = memchr::memmem::find(&pdf, format!("({}", &plain[..7]).as_bytes()).unwrap() + 1;
    let line_start = memchr::memrchr(b'\n', &pdf[..at]).unwrap() + 1;
    assert_eq!(p["line"], line_of(at), "{p}");
    assert_eq!(p["column"], at - line_start + 1, "{p}");
}

/// Quoted-printable with a soft line break inside the token.
fn qp_wrapped(token: &str) -> String {
    let (a, b) = token.split_at(20);
    format!("{a}=\r\n{b}")
}

#[test]
fn email_quoted_printable_soft_breaks_and_base64_parts_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let (qp, b64, bad) = (mint("ghp"), mint("github_pat"), mint("ghp:bad"));
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("key {b64}\n"));
    let mail = format!(
        "From: dev@example.com\r\nTo: ops@example.com\r\nSubject: creds\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nthe token is =\r\n{}\r\nand not {}\r\n--XYZ\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--XYZ--\r\n",
        qp_wrapped(&qp),
        qp_wrapped(&bad)
    );
    write(dir.path(), "mail.eml", &mail);
    let (report, code) = scan(dir.path(), "mail.eml");
    let mut found = secrets(&report);
    found.sort();
    let mut want = vec![qp.clone(), b64.clone()];
    want.sort();
    assert_eq!(found, want, "{report}");
    assert_eq!(code, 1);
    let l = location(&report, &qp);
    assert!(ends_with(&l["path"], "mail.eml"), "{l}");
    assert_eq!(l["decoded"], serde_json::json!(["quoted-printable"]), "{l}");
    assert_eq!(l["line"], 12, "{l}");
    assert_eq!(location(&report, &b64)["decoded"][0], "base64");
}

#[test]
fn a_mailbox_without_extension_is_recognised_and_split() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (mint("ghp"), mint("gho"));
    let mbox = format!(
        "From a@example.com Mon Jan  1 00:00:00 2024\nSubject: one\nContent-Transfer-Encoding: quoted-printable\n\n{}\n\nFrom b@example.com Tue Jan  2 00:00:00 2024\nSubject: two\nContent-Transfer-Encoding: quoted-printable\n\nx=3D{}\n",
        qp_wrapped(&first).replace("\r\n", "\n"),
        qp_wrapped(&second).replace("\r\n", "\n"),
    );
    write(dir.path(), "Inbox", mbox);
    let (report, _) = scan(dir.path(), "Inbox");
    let mut found = secrets(&report);
    found.sort();
    let mut want = vec![first, second];
    want.sort();
    assert_eq!(found, want, "{report}");
}

#[test]
fn an_office_part_keeps_its_zip_step_in_every_format_and_members_are_recognised_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let (in_docx, in_pdf) = (mint("ghp"), mint("gho"));
    let (g1, g2) = split_with_entity(&in_docx);
    let xml = format!(
        "<w:document><w:body><w:p><w:r><w:t>{g1}</w:t></w:r><w:r><w:t>{g2}</w:t></w:r></w:p></w:body></w:document>"
    );
    zip(&dir.path().join("r.docx"), &[("word/document.xml", &xml)]);
    // A PDF member named without `.pdf`, its token in a hex string: decoded only when the
    // member is recognised by its first bytes.
    let hex: String = in_pdf.bytes().map(|c| format!("{c:02X}")).collect();
    let pdf = format!("%PDF-1.4\n1 0 obj\n<< /Title <{hex}> >>\nendobj\n");
    zip(&dir.path().join("files.zip"), &[("attachments/blob", &pdf)]);
    let (report, code) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{report}");
    let l = location(&report, &in_docx);
    assert_eq!(l["decoded"], serde_json::json!(["zip", "xml"]), "{l}");
    let p = location(&report, &in_pdf);
    assert!(ends_with(&p["path"], "files.zip!attachments/blob"), "{p}");
    assert_eq!(
        p["decoded"],
        serde_json::json!(["zip", "pdf-string"]),
        "{p}"
    );
    let docx = dir.path().join("r.docx");
    let out = common::patrol()
        .args(["scan", docx.to_str().unwrap(), "-f", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        sarif.to_string().contains(r#""decoded":["zip","xml"]"#),
        "{sarif}"
    );
    let out = common::patrol()
        .args(["scan", docx.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(decoded: zip → xml)"), "{text}");
}
