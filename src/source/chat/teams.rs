//! Microsoft Teams messages as Microsoft Graph returns them (`chatMessage`: `id`, `replyToId`,
//! `createdDateTime`, `lastEditedDateTime`, `from.user.displayName`, `body.content`,
//! `channelIdentity`, `chatId`, `webUrl`, `attachments`; replies expanded under `replies`),
//! the form Graph-based exporters write, one array or Graph's `{"value": […]}` page.

use serde_json::Value;

use super::{field, id_field};
use crate::finding::ChatContext;

/// The message in one record, and its expanded replies, each on its own.
pub fn messages(mut record: Value) -> Vec<(ChatContext, Value)> {
    let replies = match record.as_object_mut().and_then(|m| m.remove("replies")) {
        Some(Value::Array(replies)) => replies,
        _ => Vec::new(),
    };
    if !record.is_object() {
        return Vec::new();
    }
    let parent = context(&record, None);
    let mut out = Vec::new();
    for reply in replies.into_iter().filter(Value::is_object) {
        // A reply names its team and channel only through its parent.
        let mut c = context(&reply, parent.message.clone());
        c.workspace = c.workspace.or_else(|| parent.workspace.clone());
        c.channel = c.channel.or_else(|| parent.channel.clone());
        out.push((c, reply));
    }
    out.insert(0, (parent, record));
    out
}

fn context(m: &Value, parent: Option<String>) -> ChatContext {
    let author = [
        &["from", "user", "displayName"][..],
        &["from", "application", "displayName"],
        &["from", "device", "displayName"],
        &["from", "user", "id"],
    ]
    .iter()
    .find_map(|p| field(m, p).map(str::to_string));
    ChatContext {
        platform: "teams".into(),
        workspace: id_field(m, &["channelIdentity", "teamId"]),
        channel: id_field(m, &["channelIdentity", "channelId"])
            .or_else(|| id_field(m, &["chatId"])),
        author,
        time: field(m, &["createdDateTime"]).map(str::to_string),
        message: id_field(m, &["id"]),
        thread: id_field(m, &["replyToId"]).or(parent),
        edited: field(m, &["lastEditedDateTime"]).is_some(),
        link: field(m, &["webUrl"]).map(str::to_string),
        ..ChatContext::default()
    }
}
