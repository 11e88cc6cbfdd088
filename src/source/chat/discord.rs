//! Discord messages: DiscordChatExporter's JSON (`guild`, `channel`, then `messages` with
//! `id`, `timestamp`, `timestampEdited`, `content`, `author`, `embeds`, `attachments`,
//! `reference`) and Discord's own data package (`messages/cID/messages.json`: `ID`,
//! `Timestamp`, `Contents`, `Attachments`, with the channel in `channel.json` beside it). Links
//! are `https://discord.com/channels/GUILD/CHANNEL/MESSAGE` (`@me` for direct messages).

use serde_json::Value;

use super::stream::Header;
use super::{Place, field, id_field};
use crate::finding::ChatContext;

/// A message of a DiscordChatExporter file.
pub fn messages(record: Value, header: &Header) -> Vec<(ChatContext, Value)> {
    if !record.is_object() {
        return Vec::new();
    }
    let guild = header.0.get("guild").cloned().unwrap_or_default();
    let channel = header.0.get("channel").cloned().unwrap_or_default();
    let id = id_field(&record, &["id"]);
    let author = [
        &["author", "nickname"][..],
        &["author", "name"],
        &["author", "id"],
    ]
    .iter()
    .find_map(|p| field(&record, p).map(str::to_string));
    let context = ChatContext {
        platform: "discord".into(),
        workspace: field(&guild, &["name"]).map(str::to_string),
        channel: field(&channel, &["name"]).map(str::to_string),
        author,
        time: field(&record, &["timestamp"]).map(str::to_string),
        thread: id_field(&record, &["reference", "messageId"]),
        edited: field(&record, &["timestampEdited"]).is_some(),
        link: link(&guild, &channel, id.as_deref()),
        message: id,
        ..ChatContext::default()
    };
    vec![(context, record)]
}

/// A message of a data package's `messages.json` (written by the package's owner).
pub fn package_messages(record: Value, place: &Place) -> Vec<(ChatContext, Value)> {
    if !record.is_object() {
        return Vec::new();
    }
    let channel = place.meta.discord_channel.clone().unwrap_or_default();
    let guild = channel.get("guild").cloned().unwrap_or_default();
    let id = id_field(&record, &["ID"]);
    let context = ChatContext {
        platform: "discord".into(),
        workspace: field(&guild, &["name"]).map(str::to_string),
        channel: field(&channel, &["name"])
            .map(str::to_string)
            .or_else(|| place.dir.clone()),
        author: Some("the data package's owner".into()),
        // `2021-01-02 03:04:05.678000+00:00`
        time: field(&record, &["Timestamp"]).map(|t| t.replacen(' ', "T", 1)),
        link: link(&guild, &channel, id.as_deref()),
        message: id,
        ..ChatContext::default()
    };
    vec![(context, record)]
}

fn link(guild: &Value, channel: &Value, message: Option<&str>) -> Option<String> {
    let channel = id_field(channel, &["id"])?;
    let guild = id_field(guild, &["id"])
        .filter(|g| g != "0")
        .unwrap_or_else(|| "@me".into());
    Some(format!(
        "https://discord.com/channels/{guild}/{channel}/{}",
        message?
    ))
}
