//! Chat exports read as messages: Slack (directory and zip), Microsoft Teams (Graph),
//! Discord (DiscordChatExporter and the data package) and Mattermost (bulk JSONL), built here
//! with tokens minted at test time in messages, threads, attachments and edits. Each location
//! names the message (workspace, channel, author, time, thread, edit, link) in every format,
//! the roll-out steps say what to do with the message, no finding of the plain scan is lost,
//! and no secret is printed without --show-secrets.

mod common;

use std::io::Write;
use std::path::Path;

use common::{finding, json_report, mint, patrol, write};
use serde_json::{Value, json};

/// Slack escapes `/` as `\/`, as its exports do.
fn slack_json(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap().replace('/', "\\/")
}

/// A token with its fifth character written as a JSON unicode escape.
fn unicode_escaped(token: &str) -> String {
    let c = token.as_bytes()[4];
    format!("{}\\u{:04x}{}", &token[..4], c, &token[5..])
}

struct SlackTokens {
    top: String,
    reply: String,
    attachment: String,
    escaped: String,
    previous: String,
}

/// A Slack export's files: `channels.json`, `users.json`, `general/2024-01-02.json`.
fn slack_export() -> (Vec<(String, Vec<u8>)>, SlackTokens) {
    let t = SlackTokens {
        top: mint("ghp"),
        reply: mint("github_pat"),
        attachment: mint("gho"),
        escaped: mint("ghp"),
        previous: mint("ghs"),
    };
    let channels = json!([{"id": "C0123ABCD", "name": "general"}]);
    let users = json!([
        {"id": "U01ALICE", "name": "alice", "real_name": "Alice Liddell",
         "profile": {"display_name": "Alice", "real_name": "Alice Liddell"}},
        {"id": "U02BOB", "name": "bob", "profile": {"display_name": "", "real_name": "Bob Stone"}}
    ]);
    // The first message as Slack writes it (its keys in Slack's order: text before blocks).
    let first = format!(
        r#"{{
        "type": "message",
        "text": "here is the deploy token {top}",
        "user": "U01ALICE",
        "ts": "1704196800.000100",
        "thread_ts": "1704196800.000100",
        "reply_count": 1,
        "files": [{{"id": "F1", "permalink": "https:\/\/acme-eng.slack.com\/files\/U01ALICE\/F1\/notes.txt"}}],
        "blocks": [{{"type": "rich_text", "elements": [{{"type": "rich_text_section",
            "elements": [{{"type": "text", "text": "here is the deploy token {top}"}}]}}]}}]
    }}"#,
        top = t.top
    );
    let day = json!([
        "FIRST",
        {"type": "message", "user": "U02BOB", "ts": "1704200400.000200",
         "thread_ts": "1704196800.000100", "parent_user_id": "U01ALICE",
         "text": format!("mine is {}", t.reply),
         "edited": {"user": "U02BOB", "ts": "1704200500.000000"}},
        {"type": "message", "user": "U01ALICE", "ts": "1704204000.000300", "text": "see attached",
         "attachments": [{"fallback": "build log", "text": format!("GH_TOKEN={}", t.attachment)}]},
        {"type": "message", "user": "U01ALICE", "ts": "1704207600.000400", "text": "ESCAPED"},
        {"type": "message", "subtype": "message_changed", "ts": "1704211200.000500",
         "message": {"type": "message", "user": "U02BOB", "ts": "1704210000.000450",
                     "text": "token removed", "edited": {"user": "U02BOB", "ts": "1704211200.000500"}},
         "previous_message": {"type": "message", "user": "U02BOB", "ts": "1704210000.000450",
                              "text": format!("oops {}", t.previous)}}
    ]);
    // A token written with a unicode escape in the file: found whole in the message's text.
    let day = slack_json(&day)
        .replace("\"FIRST\"", &first)
        .replace("ESCAPED", &format!("try {}", unicode_escaped(&t.escaped)));
    let files = vec![
        ("general/2024-01-02.json".to_string(), day.into_bytes()),
        (
            "channels.json".to_string(),
            slack_json(&channels).into_bytes(),
        ),
        ("users.json".to_string(), slack_json(&users).into_bytes()),
    ];
    (files, t)
}

fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in members {
            z.start_file(name.as_str(), opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// The locations of `secret`'s finding.
fn locations_of(report: &Value, secret: &str) -> Vec<Value> {
    finding(report, secret)["locations"]
        .as_array()
        .unwrap()
        .clone()
}

/// The only location of `secret`'s finding, and its chat context.
fn chat_of(report: &Value, secret: &str) -> (Value, Value) {
    let locations = locations_of(report, secret);
    assert_eq!(locations.len(), 1, "{locations:?}");
    (locations[0].clone(), locations[0]["chat"].clone())
}

fn assert_slack(report: &Value, t: &SlackTokens, path_prefix: &str) {
    // In the text and again in the blocks: two places, one message.
    let both = locations_of(report, &t.top);
    assert_eq!(both.len(), 2, "{both:?}");
    let (loc, chat) = (both[0].clone(), both[0]["chat"].clone());
    assert_eq!(both[1]["chat"]["field"], "blocks.elements.elements.text");
    assert_eq!(both[1]["line"], 11);
    assert!(
        loc["path"].as_str().unwrap().starts_with(path_prefix),
        "{loc}"
    );
    assert_eq!(chat["platform"], "slack");
    assert_eq!(chat["workspace"], "acme-eng");
    assert_eq!(chat["channel"], "general");
    assert_eq!(chat["author"], "Alice");
    assert_eq!(chat["time"], "2024-01-02T12:00:00.000100Z");
    assert_eq!(chat["message"], "1704196800.000100");
    assert_eq!(chat["field"], "text");
    assert_eq!(chat["edited"], false);
    assert_eq!(
        chat["link"],
        "https://acme-eng.slack.com/archives/C0123ABCD/p1704196800000100"
    );
    // The line of the text itself, not of the message's start.
    assert_eq!(loc["line"], 4, "{loc}");
    let (_, chat) = chat_of(report, &t.reply);
    assert_eq!(chat["author"], "Bob Stone");
    assert_eq!(chat["thread"], "1704196800.000100");
    assert_eq!(chat["edited"], true);
    assert_eq!(
        chat["link"],
        "https://acme-eng.slack.com/archives/C0123ABCD/p1704200400000200?thread_ts=1704196800.000100&cid=C0123ABCD"
    );
    let (_, chat) = chat_of(report, &t.attachment);
    assert_eq!(chat["field"], "attachments.text");
    // Split by an escape in the file, found whole in the message's unescaped text: at the text
    // when the plain scan decoded it too (it does for some tokens), else at the message's start.
    let (loc, chat) = chat_of(report, &t.escaped);
    assert_eq!(chat["field"], "text");
    assert!(
        loc["decoded"].to_string().ends_with(r#""json-escape"]"#),
        "{loc}"
    );
    let at = (
        loc["line"].as_u64().unwrap(),
        loc["column"].as_u64().unwrap(),
    );
    assert!(at == (37, 3) || at == (38, 18), "{loc}");
    assert_eq!(chat["time"], "2024-01-02T15:00:00.000400Z");
    let (_, chat) = chat_of(report, &t.previous);
    assert_eq!(chat["previous_version"], true);
    assert_eq!(chat["edited"], true);
    assert_eq!(chat["author"], "Bob Stone");
    assert_eq!(chat["field"], "previous_message.text");
}

#[test]
fn slack_directory_export_locates_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (files, t) = slack_export();
    for (name, data) in &files {
        write(dir.path(), &format!("acme/{name}"), data);
    }
    let root = dir.path().join("acme");
    let (report, code) = json_report(&["scan", root.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(report["errors"].as_array().unwrap().is_empty(), "{report}");
    assert_slack(&report, &t, root.to_str().unwrap());
}

#[test]
fn slack_zip_export_locates_messages_whatever_the_member_order() {
    let dir = tempfile::tempdir().unwrap();
    // The day file comes first: the side files are read before the members are walked.
    let (files, t) = slack_export();
    let zip = write(dir.path(), "Acme Slack export.zip", zip_of(&files));
    let (report, code) = json_report(&["scan", zip.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(report["errors"].as_array().unwrap().is_empty(), "{report}");
    assert_slack(&report, &t, &format!("{}!general/", zip.display()));
    let loc = &locations_of(&report, &t.top)[0];
    assert_eq!(loc["decoded"], json!(["zip"]));
}

#[test]
fn a_single_slack_channel_file_without_side_files_still_names_what_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let token = mint("ghp");
    let doc = json!([{"type": "message", "user": "U9", "ts": "1704196800.000100",
        "user_profile": {"display_name": "Carol"}, "text": format!("x {token}")}]);
    let file = write(dir.path(), "slack.json", slack_json(&doc));
    let (report, code) = json_report(&["scan", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    let (_, chat) = chat_of(&report, &token);
    assert_eq!(chat["platform"], "slack");
    assert_eq!(chat["author"], "Carol");
    assert_eq!(chat["time"], "2024-01-02T12:00:00.000100Z");
    assert!(chat.get("link").is_none());
}

fn teams_export() -> (String, String, String) {
    let (top, reply) = (mint("ghp"), mint("ghu"));
    let doc = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#teams('t1')/channels('19%3Aabc')/messages",
        "value": [{
            "id": "1616990032035", "replyToId": null, "messageType": "message",
            "createdDateTime": "2021-03-29T03:53:52.035Z",
            "lastEditedDateTime": "2021-03-29T04:00:00.000Z",
            "from": {"user": {"id": "8ea0e38b", "displayName": "Robin Kline"}},
            "body": {"contentType": "html", "content": format!("<p>use {top}</p>")},
            "channelIdentity": {"teamId": "fbe2bf47-16c8", "channelId": "19:4a95f7d8@thread.tacv2"},
            "webUrl": "https://teams.microsoft.com/l/message/19%3A4a95f7d8%40thread.tacv2/1616990032035",
            "replies": [{
                "id": "1616990171266", "replyToId": "1616990032035", "messageType": "message",
                "createdDateTime": "2021-03-29T03:56:11.266Z",
                "from": {"user": {"id": "9f1c", "displayName": "Sam Lee"}},
                "body": {"contentType": "html", "content": format!("<div>{reply}</div>")}
            }]
        }]
    });
    (serde_json::to_string_pretty(&doc).unwrap(), top, reply)
}

#[test]
fn teams_graph_export_locates_messages_and_replies() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, top, reply) = teams_export();
    let file = write(dir.path(), "teams/messages.json", doc);
    let (report, code) = json_report(&["scan", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    let (_, chat) = chat_of(&report, &top);
    assert_eq!(chat["platform"], "teams");
    assert_eq!(chat["author"], "Robin Kline");
    assert_eq!(chat["time"], "2021-03-29T03:53:52.035Z");
    assert_eq!(chat["workspace"], "fbe2bf47-16c8");
    assert_eq!(chat["channel"], "19:4a95f7d8@thread.tacv2");
    assert_eq!(chat["edited"], true);
    assert_eq!(chat["field"], "body.content");
    assert!(
        chat["link"]
            .as_str()
            .unwrap()
            .starts_with("https://teams.microsoft.com/l/message/")
    );
    let (_, chat) = chat_of(&report, &reply);
    assert_eq!(chat["author"], "Sam Lee");
    assert_eq!(chat["thread"], "1616990032035");
    assert_eq!(chat["edited"], false);
}

fn discord_export() -> (String, String, String) {
    let (content, embed) = (mint("ghp"), mint("gho"));
    let doc = json!({
        "guild": {"id": "81384788765712384", "name": "Acme Dev", "iconUrl": "x.png"},
        "channel": {"id": "381870553235193857", "type": "GuildTextChat", "category": "Text",
                    "name": "ops", "topic": null},
        "dateRange": {"after": null, "before": null},
        "exportedAt": "2024-01-03T00:00:00+00:00",
        "messages": [
            {"id": "1192000000000000001", "type": "Default",
             "timestamp": "2024-01-02T10:00:00.123+00:00", "timestampEdited": "2024-01-02T10:05:00+00:00",
             "isPinned": false, "content": format!("token: {content}"),
             "author": {"id": "1", "name": "dana", "discriminator": "0000", "nickname": "Dana", "isBot": false},
             "attachments": [], "embeds": [], "reactions": [], "mentions": []},
            {"id": "1192000000000000002", "type": "Reply",
             "timestamp": "2024-01-02T10:01:00+00:00", "timestampEdited": null,
             "content": "see embed",
             "author": {"id": "2", "name": "ci-bot", "nickname": "CI", "isBot": true},
             "embeds": [{"title": "build", "description": format!("GITHUB_TOKEN={embed}"), "fields": []}],
             "reference": {"messageId": "1192000000000000001", "channelId": "381870553235193857", "guildId": "81384788765712384"}}
        ],
        "messageCount": 2
    });
    (serde_json::to_string_pretty(&doc).unwrap(), content, embed)
}

#[test]
fn discord_exporter_json_locates_messages_with_links() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, content, embed) = discord_export();
    let file = write(
        dir.path(),
        "Acme Dev - Text - ops [381870553235193857].json",
        doc,
    );
    let (report, code) = json_report(&["scan", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    let (_, chat) = chat_of(&report, &content);
    assert_eq!(chat["platform"], "discord");
    assert_eq!(chat["workspace"], "Acme Dev");
    assert_eq!(chat["channel"], "ops");
    assert_eq!(chat["author"], "Dana");
    assert_eq!(chat["edited"], true);
    assert_eq!(chat["time"], "2024-01-02T10:00:00.123+00:00");
    assert_eq!(
        chat["link"],
        "https://discord.com/channels/81384788765712384/381870553235193857/1192000000000000001"
    );
    let (_, chat) = chat_of(&report, &embed);
    assert_eq!(chat["field"], "embeds.description");
    assert_eq!(chat["thread"], "1192000000000000001");
    assert_eq!(chat["author"], "CI");
}

#[test]
fn discord_data_package_in_a_zip_uses_its_channel_file() {
    let dir = tempfile::tempdir().unwrap();
    let token = mint("ghp");
    let channel = json!({"id": "381870553235193857", "type": 0, "name": "ops",
                         "guild": {"id": "81384788765712384", "name": "Acme Dev"}});
    let messages = json!([{"ID": 1192000000000000003u64, "Timestamp": "2024-01-02 11:00:00.000000+00:00",
                           "Contents": format!("mine: {token}"), "Attachments": ""}]);
    let members = vec![
        (
            "messages/c381870553235193857/channel.json".to_string(),
            channel.to_string().into_bytes(),
        ),
        (
            "messages/c381870553235193857/messages.json".to_string(),
            messages.to_string().into_bytes(),
        ),
    ];
    let zip = write(dir.path(), "package.zip", zip_of(&members));
    let (report, code) = json_report(&["scan", zip.to_str().unwrap()]);
    assert_eq!(code, 1);
    let (_, chat) = chat_of(&report, &token);
    assert_eq!(chat["platform"], "discord");
    assert_eq!(chat["workspace"], "Acme Dev");
    assert_eq!(chat["channel"], "ops");
    assert_eq!(chat["time"], "2024-01-02T11:00:00.000000+00:00");
    assert_eq!(
        chat["link"],
        "https://discord.com/channels/81384788765712384/381870553235193857/1192000000000000003"
    );
}

fn mattermost_export() -> (String, String, String) {
    let (post, reply) = (mint("ghp"), mint("github_pat"));
    let lines = [
        json!({"type": "version", "version": 1, "info": {"generator": "mmctl", "version": "9.0"}}),
        json!({"type": "team", "team": {"name": "eng", "display_name": "Engineering", "type": "O"}}),
        json!({"type": "channel", "channel": {"team": "eng", "name": "town-square", "display_name": "Town Square", "type": "O"}}),
        json!({"type": "user", "user": {"username": "erin", "first_name": "Erin", "last_name": "Moss", "email": "erin@example.com"}}),
        json!({"type": "post", "post": {"team": "eng", "channel": "town-square", "user": "erin",
               "message": format!("deploy with {post}"), "create_at": 1_704_196_800_123i64, "edit_at": 1_704_196_900_000i64,
               "replies": [{"user": "frank", "message": format!("and {reply}"), "create_at": 1_704_197_000_000i64}]}}),
        json!({"type": "direct_post", "direct_post": {"channel_members": ["erin", "frank"], "user": "frank",
               "message": "hello", "create_at": 1_704_197_100_000i64}}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    (text, post, reply)
}

#[test]
fn mattermost_bulk_export_locates_posts_and_replies() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, post, reply) = mattermost_export();
    let file = write(dir.path(), "export.jsonl", doc);
    let (report, code) = json_report(&["scan", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    let (loc, chat) = chat_of(&report, &post);
    assert_eq!(loc["line"], 5);
    assert_eq!(chat["platform"], "mattermost");
    assert_eq!(chat["workspace"], "Engineering");
    assert_eq!(chat["channel"], "Town Square");
    assert_eq!(chat["author"], "Erin Moss (@erin)");
    assert_eq!(chat["time"], "2024-01-02T12:00:00.123Z");
    assert_eq!(chat["edited"], true);
    let (_, chat) = chat_of(&report, &reply);
    assert_eq!(chat["author"], "frank");
    assert_eq!(
        chat["thread"],
        "reply to the post of 2024-01-02T12:00:00.123Z"
    );
    assert_eq!(chat["edited"], false);
}

/// Every export of this file, written into `dir`; with the tokens each holds.
fn all_exports(dir: &Path) -> Vec<String> {
    let (files, t) = slack_export();
    for (name, data) in &files {
        write(dir, &format!("slack/{name}"), data);
    }
    let (teams, a, b) = teams_export();
    write(dir, "teams.json", teams);
    let (discord, c, d) = discord_export();
    write(dir, "discord.json", discord);
    let (mm, e, f) = mattermost_export();
    write(dir, "mattermost.jsonl", mm);
    vec![
        t.top,
        t.reply,
        t.attachment,
        t.escaped,
        t.previous,
        a,
        b,
        c,
        d,
        e,
        f,
    ]
}

#[test]
fn no_secret_is_printed_in_any_format_and_each_names_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = all_exports(dir.path());
    for format in ["text", "json", "jsonl", "sarif"] {
        let out = patrol()
            .args(["scan", "-f", format, "--steps"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for t in &tokens {
            assert!(!all.contains(t.as_str()), "{format} printed a secret");
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        match format {
            "text" => {
                assert!(
                    stdout.contains(
                        "slack acme-eng #general, by Alice, 2024-01-02T12:00:00.000100Z, message 1704196800.000100, in thread 1704196800.000100, field text, https://acme-eng.slack.com/archives/C0123ABCD/p1704196800000100"
                    ),
                    "{stdout}"
                );
                assert!(
                    stdout.contains("mattermost Engineering #Town Square, by Erin Moss (@erin)")
                );
            }
            "jsonl" => {
                let lines: Vec<Value> = stdout
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                // One line a location: the first Slack token is in a text and its blocks.
                assert_eq!(lines.len(), tokens.len() + 1);
                assert!(
                    lines.iter().all(|l| l["chat"]["platform"].is_string()),
                    "{stdout}"
                );
            }
            "sarif" => {
                let v: Value = serde_json::from_str(&stdout).unwrap();
                let results = v["runs"][0]["results"].as_array().unwrap();
                assert_eq!(results.len(), tokens.len() + 1);
                assert!(
                    results
                        .iter()
                        .all(|r| r["properties"]["chat"]["platform"].is_string())
                );
                assert!(results.iter().any(|r| {
                    r["message"]["text"]
                        .as_str()
                        .unwrap()
                        .contains("In a chat message: discord Acme Dev #ops, by Dana")
                }));
            }
            _ => {
                let v: Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(v["findings"].as_array().unwrap().len(), tokens.len());
            }
        }
    }
}

#[test]
fn steps_say_what_to_do_with_the_message_per_platform() {
    let dir = tempfile::tempdir().unwrap();
    all_exports(dir.path());
    let out = patrol()
        .args(["scan", "--steps"])
        .arg(dir.path())
        .output()
        .unwrap();
    let steps = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "is a chat message (slack acme-eng #general, by Alice",
        "Slack: delete the message (⋯ → Delete message",
        "Slack Connect",
        "compliance copy in the Exchange Online mailboxes",
        "logging and moderation bots",
        "Mattermost keeps the earlier versions",
        "revoking it is what protects you",
    ] {
        assert!(
            steps.contains(expected),
            "missing {expected:?} in:\n{steps}"
        );
    }
    // The advice for a source file is not given for a chat message.
    for line in steps.lines().filter(|l| l.contains("is a chat message")) {
        assert!(!line.contains("read it from the environment"), "{line}");
    }
    assert!(!steps.contains("2024-01-02.json:4: replace the token"));
}

/// The same bytes, made unrecognisable as an export (a leading `x` on the first line), scanned
/// as today's plain scan does: every secret and line it finds is found in the export too.
#[test]
fn no_finding_of_the_plain_scan_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    all_exports(dir.path());
    let plain = tempfile::tempdir().unwrap();
    for entry in [
        "slack/general/2024-01-02.json",
        "teams.json",
        "discord.json",
        "mattermost.jsonl",
    ] {
        let data = std::fs::read(dir.path().join(entry)).unwrap();
        let mut altered = b"x".to_vec();
        altered.extend_from_slice(&data);
        write(plain.path(), entry, altered);
    }
    let lines = |report: &Value| -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| {
                f["locations"].as_array().unwrap().iter().map(move |l| {
                    (
                        f["secret"].as_str().unwrap().to_string(),
                        l["line"].as_u64().unwrap(),
                    )
                })
            })
            .collect();
        out.sort();
        out
    };
    let files = [
        "slack/general/2024-01-02.json",
        "teams.json",
        "discord.json",
        "mattermost.jsonl",
    ];
    let chat_args: Vec<String> = files
        .iter()
        .map(|f| dir.path().join(f).display().to_string())
        .collect();
    let plain_args: Vec<String> = files
        .iter()
        .map(|f| plain.path().join(f).display().to_string())
        .collect();
    let mut args = vec!["scan"];
    args.extend(chat_args.iter().map(String::as_str));
    let (chat, _) = json_report(&args);
    let mut args = vec!["scan"];
    args.extend(plain_args.iter().map(String::as_str));
    let (plain_report, _) = json_report(&args);
    let chat_lines = lines(&chat);
    let plain_lines = lines(&plain_report);
    assert!(!plain_lines.is_empty());
    for l in &plain_lines {
        assert!(chat_lines.contains(l), "lost a finding at line {}", l.1);
    }
    // The plain scan saw no chat context; the export scan gave every location one.
    assert!(plain_report.to_string().find("\"chat\"").is_none());
}

#[test]
fn a_broken_export_is_a_problem_and_keeps_every_raw_finding() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (mint("ghp"), mint("ghp"));
    let doc = format!(
        "[\n  {{\"type\": \"message\", \"user\": \"U1\", \"ts\": \"1704196800.000100\", \"text\": \"a {first}\"}},\n  {{\"type\": \"message\", \"text\": \"b {second}\" BROKEN\n"
    );
    let file = write(dir.path(), "general/2024-01-02.json", doc);
    let (report, code) = json_report(&["scan", file.to_str().unwrap()]);
    assert_eq!(code, 1, "findings take precedence over the incomplete scan");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("looks like a slack export but could not be read as one"),
        "{report}"
    );
    let (_, chat) = chat_of(&report, &first);
    assert_eq!(chat["platform"], "slack");
    let (loc, chat) = chat_of(&report, &second);
    assert!(chat.is_null());
    assert_eq!(loc["line"], 3);
    // Without any finding, the broken export alone makes the scan incomplete.
    let clean = write(
        dir.path(),
        "clean/2024-01-02.json",
        "[{\"type\": \"message\", \"ts\": \"1\", ",
    );
    patrol().arg("scan").arg(&clean).assert().code(5);
}

#[test]
fn incident_given_an_export_locates_the_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (files, t) = slack_export();
    for (name, data) in &files {
        write(dir.path(), &format!("acme/{name}"), data);
    }
    let out = patrol()
        .args(["incident", "--dry-run", "-f", "json"])
        .args(["--api-url", "http://127.0.0.1:9"])
        .arg(dir.path().join("acme/general/2024-01-02.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for secret in [&t.top, &t.reply, &t.attachment, &t.escaped, &t.previous] {
        assert!(!all.contains(secret.as_str()), "{all}");
    }
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    let chats: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .map(|l| &l["chat"])
        .collect();
    assert_eq!(chats.len(), 6, "{report}");
    assert!(
        chats
            .iter()
            .all(|c| c["channel"] == "general" && c["workspace"] == "acme-eng")
    );
    // The incident record names the message, its author and time, not only a file position.
    let record = dir.path().join("incident.md");
    let out = patrol()
        .args(["incident", "--dry-run", "--record"])
        .arg(&record)
        .args(["--api-url", "http://127.0.0.1:9"])
        .arg(dir.path().join("acme/general/2024-01-02.json"))
        .output()
        .unwrap();
    let md = std::fs::read_to_string(&record)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(md.contains("slack acme-eng #general, by Alice"), "{md}");
    for secret in [&t.top, &t.reply, &t.attachment, &t.escaped, &t.previous] {
        assert!(!md.contains(secret.as_str()), "{md}");
    }
}

#[test]
fn a_secret_in_a_message_timestamp_is_redacted_in_its_context() {
    let dir = tempfile::tempdir().unwrap();
    let (content, stamp) = (mint("ghp"), mint("ghp"));
    let doc = json!({
        "guild": {"id": "1", "name": "Acme"}, "channel": {"id": "2", "name": "ops"},
        "messages": [{"id": "3", "type": "Default", "timestamp": stamp,
            "content": format!("token: {content}"), "author": {"id": "1", "name": "dana"}}]
    });
    let file = write(dir.path(), "Acme - ops [2].json", doc.to_string());
    let out = patrol()
        .args(["scan", file.to_str().unwrap(), "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"time\""), "{text}");
    assert!(!text.contains(&stamp) && !text.contains(&content), "{text}");
}
