//! Encodings and shapes end to end (issue 11): UTF-16 big endian, credential names as keys of
//! generated JSON and HCL, values ending at the delimiters of their syntax, client secrets as
//! their own kind, and the confidence of look-alikes. The real binary on files in temp dirs.

mod common;

use common::*;

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian {
            &[0xFE, 0xFF]
        } else {
            &[0xFF, 0xFE]
        });
    }
    for u in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

fn scan(dir: &tempfile::TempDir) -> serde_json::Value {
    let (r, code) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert!(code == 1 || code == 0, "exit {code}");
    r
}

#[test]
fn utf16_big_endian_text_with_and_without_bom_is_decoded() {
    for bom in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let tok = mint("ghp");
        let hex = mint("hex40");
        let text = format!("line one\r\nexport TOKEN={tok}\r\nGH_TOKEN={hex}\r\n");
        write(dir.path(), "notes.txt", utf16(&text, true, bom));
        let r = scan(&dir);
        assert_eq!(secrets(&r).len(), 2, "bom={bom}: {r}");
        let lead = if bom { 2 } else { 0 };
        let loc = &finding(&r, &tok)["locations"][0];
        assert_eq!(loc["line"], 2);
        assert_eq!(loc["decoded"], serde_json::json!(["utf-16be"]));
        assert_eq!(loc["offset"], lead + 2 * text.find(&tok).unwrap());
        let f = finding(&r, &hex);
        assert_eq!(f["rule"], "github-credential-assignment");
        assert_eq!(f["locations"][0]["line"], 3);
        assert_eq!(
            f["locations"][0]["decoded"],
            serde_json::json!(["utf-16be"])
        );
    }
}

#[test]
fn utf16_little_endian_context_and_a_token_at_the_start_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let hex = mint("hex40");
    // PowerShell's `>` writes UTF-16LE with a BOM: the token is the first character.
    write(
        dir.path(),
        "token.txt",
        utf16(&format!("{tok}\r\n"), false, true),
    );
    write(
        dir.path(),
        "env.txt",
        utf16(&format!("GITHUB_TOKEN={hex}\r\n"), false, true),
    );
    let r = scan(&dir);
    assert_eq!(secrets(&r).len(), 2, "{r}");
    for s in [&tok, &hex] {
        let loc = &finding(&r, s)["locations"][0];
        assert_eq!(loc["decoded"], serde_json::json!(["utf-16le"]));
        assert_eq!(loc["offset"], 2 + if *s == hex { 26 } else { 0 });
    }
}

#[test]
fn terraform_state_outputs_and_hcl_variable_defaults_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let state_value = mint("hex40");
    let hcl_default = mint("opaque");
    let json_default = mint("hex40");
    let state = format!(
        r#"{{
  "version": 4,
  "terraform_version": "1.9.5",
  "outputs": {{
    "github_token": {{
      "value": "{state_value}",
      "type": "string",
      "sensitive": true
    }},
    "region": {{
      "value": "{}",
      "type": "string"
    }}
  }},
  "resources": []
}}
"#,
        mint("hex40")
    );
    write(dir.path(), "terraform.tfstate", state);
    write(
        dir.path(),
        "variables.tf",
        format!(
            "variable \"region\" {{\n  default = \"eu-west-1\"\n}}\n\n\
             variable \"github_token\" {{\n  description = \"Token for the provider\"\n  \
             type        = string\n  sensitive   = true\n  default     = \"{hcl_default}\"\n}}\n"
        ),
    );
    write(
        dir.path(),
        "main.tf.json",
        format!("{{\"variable\": {{\"GH_TOKEN\": {{\"default\": \"{json_default}\"}}}}}}\n"),
    );
    let r = scan(&dir);
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![
        state_value.clone(),
        hcl_default.clone(),
        json_default.clone(),
    ];
    want.sort();
    assert_eq!(found, want, "{r}");
    let f = finding(&r, &state_value);
    assert_eq!(f["rule"], "github-credential-block-value");
    assert_eq!(f["kind"], "legacy-hex");
    assert_eq!(f["locations"][0]["line"], 6);
    let f = finding(&r, &hcl_default);
    assert_eq!(f["locations"][0]["line"], 9);
}

#[test]
fn values_end_at_the_delimiters_of_the_surrounding_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let npm = mint("hex40");
    let docker = mint("hex40");
    let netrc = mint("opaque");
    write(
        dir.path(),
        "setup.js",
        format!(
            "await fs.writeFile('.npmrc', `//npm.pkg.github.com/:_authToken={npm}`, 'utf8');\n\
             run(`docker login ghcr.io -u octocat -p {docker}`);\n\
             const netrc = `machine github.com login octocat password {netrc}`;\n"
        ),
    );
    let r = scan(&dir);
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![npm.clone(), docker.clone(), netrc.clone()];
    want.sort();
    assert_eq!(found, want, "{r}");
    assert_eq!(finding(&r, &npm)["rule"], "github-npmrc-auth-token");
}

#[test]
fn a_client_secret_is_its_own_kind_with_its_own_steps_and_is_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    let secret = mint("hex40");
    let token = mint("hex40");
    write(
        dir.path(),
        "app.env",
        format!(
            "GITHUB_CLIENT_ID=Iv1.0123456789abcdef\nGITHUB_CLIENT_SECRET={secret}\nGITHUB_TOKEN={token}\n"
        ),
    );
    // A real server on loopback: the legacy token is checked, the client secret never is.
    let mut server = mockito::Server::new();
    let user = server
        .mock("GET", "/user")
        .with_status(401)
        .with_body(r#"{"message":"Bad credentials"}"#)
        .expect(1)
        .create();
    let out = patrol()
        .args([
            "scan",
            "--verify",
            "--api-url",
            &server.url(),
            "--api-interval",
            "0",
        ])
        .args(["-f", "json", "--show-secrets"])
        .arg(dir.path())
        .output()
        .unwrap();
    user.assert();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = finding(&r, &secret);
    assert_eq!(f["kind"], "client-secret");
    assert_eq!(f["rule"], "github-client-secret");
    assert_eq!(f["verification"]["status"], "unverifiable");
    assert_eq!(finding(&r, &token)["kind"], "legacy-hex");
    assert_eq!(finding(&r, &token)["verification"]["status"], "dead");

    let steps = patrol()
        .args(["scan", "--steps"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&steps.stderr);
    assert!(err.contains("Generate a new client secret"), "{err}");
    assert!(!err.contains(&secret), "{err}");
    patrol()
        .args(["steps", "client-secret"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Client secrets"));
}

#[test]
fn look_alikes_malformed_jwts_and_unknown_shapes_are_low_confidence() {
    let dir = tempfile::tempdir().unwrap();
    let bad_ghs = mint("ghs:bad");
    let bad_fg = mint("github_pat:bad");
    let good_stateless = mint("ghs_stateless");
    // Stateless shape, but the segments are not base64url JSON and it is far too short.
    let prefix = &bad_ghs[..4];
    let fake_stateless = format!("{prefix}48213_Qm7vT2xLp9.Wk4nR8zB3c.Hy6dJ1sF5g");
    // A GitHub prefix of no known length, assigned to a credential name.
    let unknown = format!("{prefix}Zx8Kq2Lm7Np4Rt6Vw9Yb");
    write(
        dir.path(),
        "tokens.txt",
        format!(
            "a {bad_ghs}\nb {bad_fg}\nc {good_stateless}\nd {fake_stateless}\nGITHUB_TOKEN=\"{unknown}\"\n"
        ),
    );
    let r = scan(&dir);
    for (s, confidence, checksum) in [
        (&bad_ghs, "low", "unverified"),
        (&bad_fg, "low", "unverified"),
        (&good_stateless, "high", "none"),
        (&fake_stateless, "low", "none"),
        (&unknown, "low", "unverified"),
    ] {
        let f = finding(&r, s);
        assert_eq!(f["confidence"], confidence, "{}", &s[..8]);
        assert_eq!(f["checksum"], checksum, "{}", &s[..8]);
    }
    assert_eq!(finding(&r, &unknown)["kind"], "installation");
    assert_eq!(secrets(&r).len(), 5, "{r}");
}

#[test]
fn utf16_byte_order_is_named_right_at_any_offset_with_or_without_bom() {
    for big_endian in [true, false] {
        for bom in [true, false] {
            for lead in [0usize, 1, 2, 3] {
                let dir = tempfile::tempdir().unwrap();
                let tok = mint("ghp");
                // Text at an odd or even offset inside other bytes, NUL-terminated as in a
                // binary's string table.
                let mut bytes = b"\x01\x02\x03"[..lead].to_vec();
                bytes.extend(utf16(&format!("token={tok}"), big_endian, bom));
                bytes.extend_from_slice(b"\0\0\x05tail");
                write(dir.path(), "strings.bin", &bytes);
                let r = scan(&dir);
                let want = if big_endian { "utf-16be" } else { "utf-16le" };
                let case = format!("big_endian={big_endian} bom={bom} lead={lead}");
                assert_eq!(secrets(&r), vec![tok.clone()], "{case}: {r}");
                let loc = &finding(&r, &tok)["locations"][0];
                assert_eq!(loc["decoded"], serde_json::json!([want]), "{case}: {r}");
            }
        }
    }
}
