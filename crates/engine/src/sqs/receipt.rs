//! Receipt handles: opaque to clients, self-describing to us.
//!
//! A handle encodes which queue incarnation issued it, which message (store sequence number and
//! `MessageId`) and which receive of that message (generation). It is signed with a per-engine
//! secret, so a handle that was edited or made up is `ReceiptHandleIsInvalid`, while a genuine
//! handle of a message that is gone is recognised as stale. Encoded in base64 it looks like
//! AWS's (`AQEB...`, ~160 characters).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

const PREFIX: [u8; 3] = [1, 1, 1];
const FILLER: usize = 68;
const BODY: usize = 3 + 8 + 8 + 4 + 16 + 8;
const LEN: usize = BODY + FILLER + 8;

/// What a receipt handle says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptHandle {
    /// Identifies the queue incarnation (a re-created queue has a new one).
    pub queue_incarnation: u64,
    pub seq: u64,
    pub generation: u32,
    pub message_id: u128,
    pub received_ms: u64,
}

fn checksum(secret: &[u8; 32], data: &[u8]) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(secret);
    h.update(data);
    let d = h.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

impl ReceiptHandle {
    /// Encodes and signs the handle.
    pub fn encode(&self, secret: &[u8; 32]) -> String {
        let mut buf = Vec::with_capacity(LEN);
        buf.extend_from_slice(&PREFIX);
        buf.extend_from_slice(&self.queue_incarnation.to_be_bytes());
        buf.extend_from_slice(&self.seq.to_be_bytes());
        buf.extend_from_slice(&self.generation.to_be_bytes());
        buf.extend_from_slice(&self.message_id.to_be_bytes());
        buf.extend_from_slice(&self.received_ms.to_be_bytes());
        // Filler derived from the content so that handles look as random as AWS's.
        let mut seed = Sha256::digest(&buf).to_vec();
        while buf.len() < BODY + FILLER {
            let need = BODY + FILLER - buf.len();
            buf.extend_from_slice(&seed[..need.min(seed.len())]);
            seed = Sha256::digest(&seed).to_vec();
        }
        let sum = checksum(secret, &buf);
        buf.extend_from_slice(&sum);
        STANDARD.encode(buf)
    }

    /// Decodes a handle; `None` if it is not one we issued.
    pub fn decode(handle: &str, secret: &[u8; 32]) -> Option<Self> {
        let bytes = STANDARD.decode(handle.trim()).ok()?;
        if bytes.len() != LEN || bytes[..3] != PREFIX {
            return None;
        }
        let (data, sum) = bytes.split_at(LEN - 8);
        if checksum(secret, data) != sum {
            return None;
        }
        let u64_at = |i: usize| u64::from_be_bytes(data[i..i + 8].try_into().unwrap_or([0; 8]));
        Some(Self {
            queue_incarnation: u64_at(3),
            seq: u64_at(11),
            generation: u32::from_be_bytes(data[19..23].try_into().unwrap_or([0; 4])),
            message_id: u128::from_be_bytes(data[23..39].try_into().unwrap_or([0; 16])),
            received_ms: u64_at(39),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let secret = [7u8; 32];
        let h = ReceiptHandle {
            queue_incarnation: 3,
            seq: 42,
            generation: 2,
            message_id: 0x1234,
            received_ms: 99,
        };
        let s = h.encode(&secret);
        assert!(s.starts_with("AQEB"), "{s}");
        assert!(s.len() > 150);
        assert_eq!(ReceiptHandle::decode(&s, &secret), Some(h));
        assert_eq!(ReceiptHandle::decode(&s, &[8u8; 32]), None);
        let mut tampered = s.clone().into_bytes();
        tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            ReceiptHandle::decode(&String::from_utf8(tampered).unwrap(), &secret),
            None
        );
        assert_eq!(ReceiptHandle::decode("garbage", &secret), None);
        assert_eq!(ReceiptHandle::decode("", &secret), None);
    }
}
