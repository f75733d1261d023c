//! Messages as stored, and AWS's digests over them.
//!
//! Memory matters: a queue may hold millions of messages. A [`Message`] is ~100 bytes plus its
//! body; everything optional (message attributes, trace header, and later FIFO fields) lives in
//! one shared [`MessageExtra`] allocation that plain messages do not have.

use std::sync::Arc;

use md5::{Digest, Md5};

/// A message attribute value: AWS's `String`/`Number` (transport type 1) or `Binary` (2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributePayload {
    String(String),
    Binary(Vec<u8>),
}

/// One message attribute: its `DataType` (`String`, `Number.float`, `Binary.png`...) and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAttributeValue {
    pub data_type: String,
    pub value: AttributePayload,
}

impl MessageAttributeValue {
    pub fn string(data_type: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            data_type: data_type.into(),
            value: AttributePayload::String(value.into()),
        }
    }

    pub fn binary(data_type: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Self {
            data_type: data_type.into(),
            value: AttributePayload::Binary(value.into()),
        }
    }

    /// Bytes this attribute counts towards the message size: name + type + value.
    pub fn size(&self, name: &str) -> usize {
        name.len()
            + self.data_type.len()
            + match &self.value {
                AttributePayload::String(s) => s.len(),
                AttributePayload::Binary(b) => b.len(),
            }
    }
}

/// Named message attributes, sorted by name (the order AWS's digest needs).
pub type MessageAttributes = Vec<(String, MessageAttributeValue)>;

/// The optional parts of a message, shared between the stored message and receive results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageExtra {
    /// User message attributes, sorted by name.
    pub attributes: MessageAttributes,
    /// The `AWSTraceHeader` message system attribute.
    pub aws_trace_header: Option<String>,
    /// `MessageGroupId` (FIFO queues, and fair standard queues).
    pub message_group_id: Option<Arc<str>>,
    /// `MessageDeduplicationId` (FIFO queues).
    pub message_deduplication_id: Option<String>,
    /// `SequenceNumber` (FIFO queues).
    pub sequence_number: Option<String>,
    /// `DeadLetterQueueSourceArn`: the queue a dead-lettered message came from.
    pub dead_letter_source_arn: Option<Arc<str>>,
}

/// A stored message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Per-queue sequence number: the message's identity inside the store.
    pub seq: u64,
    /// The `MessageId` (a UUID).
    pub id: u128,
    pub body: Arc<str>,
    pub extra: Option<Arc<MessageExtra>>,
    /// `SenderId` system attribute.
    pub sender_id: Arc<str>,
    /// `SentTimestamp`, epoch millis.
    pub sent_ms: u64,
    /// `ApproximateFirstReceiveTimestamp`, epoch millis; 0 = never received.
    pub first_receive_ms: u64,
    /// When the current receipt handle was issued, epoch millis (for the 12-hour limit).
    pub received_ms: u64,
    /// `ApproximateReceiveCount`.
    pub receive_count: u32,
    /// Receive generation: bumped by every receive; receipt handles carry it.
    pub generation: u32,
}

impl Message {
    /// Whether a receive must send this message to the dead-letter queue instead of
    /// delivering it: it was already received `max_receive_count` times (the queue's redrive
    /// policy; `None` = no policy).
    pub fn is_dead_letter(&self, max_receive_count: Option<u32>) -> bool {
        max_receive_count.is_some_and(|limit| self.receive_count >= limit)
    }

    /// What a receive at `now` does to the message: a new receipt generation, one more
    /// receive, and the first-receive and receipt times.
    pub fn mark_received(&mut self, now: u64) {
        self.generation = self.generation.wrapping_add(1);
        self.receive_count = self.receive_count.saturating_add(1);
        if self.first_receive_ms == 0 {
            self.first_receive_ms = now;
        }
        self.received_ms = now;
    }

    /// The `MessageId` in AWS's form (`8-4-4-4-12` hex).
    pub fn message_id(&self) -> String {
        uuid::Uuid::from_u128(self.id).hyphenated().to_string()
    }

    pub fn attributes(&self) -> &[(String, MessageAttributeValue)] {
        self.extra
            .as_deref()
            .map_or(&[], |e| e.attributes.as_slice())
    }

    pub fn message_group_id(&self) -> Option<&str> {
        self.extra
            .as_deref()
            .and_then(|e| e.message_group_id.as_deref())
    }

    pub fn dead_letter_source_arn(&self) -> Option<&str> {
        self.extra
            .as_deref()
            .and_then(|e| e.dead_letter_source_arn.as_deref())
    }

    pub fn aws_trace_header(&self) -> Option<&str> {
        self.extra
            .as_deref()
            .and_then(|e| e.aws_trace_header.as_deref())
    }

    /// Size counted against `MaximumMessageSize`: body plus attribute names, types and values.
    pub fn size(body: &str, attributes: &[(String, MessageAttributeValue)]) -> usize {
        body.len() + attributes.iter().map(|(n, v)| v.size(n)).sum::<usize>()
    }
}

/// Hex MD5 of the UTF-8 body: `MD5OfMessageBody` / `MD5OfBody`.
pub fn md5_of_body(body: &str) -> String {
    hex::encode(Md5::digest(body.as_bytes()))
}

/// AWS's `MD5OfMessageAttributes` over `attrs` (any order; sorted by name here).
///
/// Each attribute is encoded as: 4-byte big-endian length + name, 4-byte length + data type,
/// one transport byte (1 = String/Number, 2 = Binary), 4-byte length + value.
pub fn md5_of_attributes<'a>(
    attrs: impl IntoIterator<Item = (&'a str, &'a MessageAttributeValue)>,
) -> String {
    let mut sorted: Vec<_> = attrs.into_iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut md5 = Md5::new();
    fn put(md5: &mut Md5, bytes: &[u8]) {
        md5.update((bytes.len() as u32).to_be_bytes());
        md5.update(bytes);
    }
    for (name, value) in sorted {
        put(&mut md5, name.as_bytes());
        put(&mut md5, value.data_type.as_bytes());
        match &value.value {
            AttributePayload::String(s) => {
                md5.update([1u8]);
                put(&mut md5, s.as_bytes());
            }
            AttributePayload::Binary(b) => {
                md5.update([2u8]);
                put(&mut md5, b);
            }
        }
    }
    hex::encode(md5.finalize())
}

/// Whether `c` is allowed in a message body or string attribute:
/// `#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`.
pub fn is_valid_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// AWS's message for a body (or attribute) with a character outside [`is_valid_char`].
pub const INVALID_CHARACTERS_MESSAGE: &str = "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_body_matches_known_digest() {
        assert_eq!(md5_of_body("hello"), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(md5_of_body(""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    /// Digests pinned by moto's SQS tests as what AWS returns for these attributes.
    #[test]
    fn md5_of_attributes_matches_known_digests() {
        let ts = MessageAttributeValue::string("Number", "1493147359900");
        assert_eq!(
            md5_of_attributes([("timestamp", &ts)]),
            "235c5c510d26fb653d073faed50ae77c"
        );
        let ts2 = MessageAttributeValue::string("Number", "1493147359901");
        assert_eq!(
            md5_of_attributes([("timestamp", &ts2)]),
            "994258b45346a2cc3f9cbb611aa7af30"
        );
        assert_eq!(md5_of_body("derp"), "58fd9edd83341c29f1aebba81c31e257");
        let ccc = MessageAttributeValue::string("String", "testjunk");
        let aaa = MessageAttributeValue::binary("Binary", vec![2u8, 3, 4]);
        let zzz = MessageAttributeValue::string("Number", "0230.01");
        let other = MessageAttributeValue::string("String", "T\u{fc}st");
        assert_eq!(
            md5_of_attributes([
                ("ccc", &ccc),
                ("aaa", &aaa),
                ("zzz", &zzz),
                ("\u{f6}ther_encodings", &other)
            ]),
            "8ae21a7957029ef04146b42aeaa18a22"
        );
    }

    #[test]
    fn invalid_characters() {
        assert!(is_valid_char('\t') && is_valid_char('\u{10FFFF}') && is_valid_char('\u{E000}'));
        assert!(!is_valid_char('\u{0}') && !is_valid_char('\u{FFFE}') && !is_valid_char('\u{1F}'));
    }
}
