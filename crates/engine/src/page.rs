//! One page of a listing and the token of the next: the `NextToken` paging of SNS
//! (`ListTopics`, `ListSubscriptions`...: 100 a page) and EventBridge (`ListRules`,
//! `ListTargetsByRule`...: `Limit`, at most 100). SQS pages queue listings by queue name
//! instead, as AWS does (see `crates/sqs`).
//!
//! Tokens are opaque base64, as AWS's (`AAHrokS2B2V0PGIaX/pqx/9+0pHV1+5YQl4a3nOvPI7q5A==`,
//! recorded in LocalStack's `test_subscription_paging`), so clients read no meaning into them.

/// A page of a listing and the token of the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// The first bytes of a token (before the offset).
const TOKEN_TAG: [u8; 4] = [0x00, 0x01, 0xfb, 0x5e];

fn token(offset: usize) -> String {
    use base64::Engine as _;
    let mut bytes = TOKEN_TAG.to_vec();
    bytes.extend_from_slice(&(offset as u64).to_be_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Where the page `token` designates starts in a listing of `len` items (`None`: not a token
/// of ours, or past the end).
fn start(token: Option<&str>, len: usize) -> Option<usize> {
    use base64::Engine as _;
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Some(0);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let offset: [u8; 8] = bytes.strip_prefix(&TOKEN_TAG[..])?.try_into().ok()?;
    usize::try_from(u64::from_be_bytes(offset))
        .ok()
        .filter(|s| *s <= len)
}

/// The page of `all` that `token` (from an earlier page, or none for the first) designates,
/// at most `size` items long; `None` when the token is not valid (each service words that
/// error its own way).
pub fn page<T>(all: Vec<T>, token: Option<&str>, size: usize) -> Option<Page<T>> {
    let len = all.len();
    let start = start(token, len)?;
    let end = start.saturating_add(size.max(1)).min(len);
    Some(Page {
        items: all.into_iter().skip(start).take(end - start).collect(),
        next_token: (end < len).then(|| self::token(end)),
    })
}

/// [`page`] of a borrowed listing: only the page's items are cloned.
pub fn page_of_slice<T: Clone>(all: &[T], token: Option<&str>, size: usize) -> Option<Page<T>> {
    let start = start(token, all.len())?;
    let end = start.saturating_add(size.max(1)).min(all.len());
    Some(Page {
        items: all[start..end].to_vec(),
        next_token: (end < all.len()).then(|| self::token(end)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_their_tokens_and_refuse_others() {
        let all: Vec<u32> = (0..250).collect();
        let first = page(all.clone(), None, 100).expect("first");
        assert_eq!(first.items.len(), 100);
        let second = page_of_slice(&all, first.next_token.as_deref(), 100).expect("second");
        assert_eq!(second.items[0], 100);
        let third = page(all.clone(), second.next_token.as_deref(), 100).expect("third");
        assert_eq!((third.items.len(), third.next_token), (50, None));
        assert!(page(all.clone(), Some("garbage"), 100).is_none());
        assert!(page(all, Some(&token(251)), 100).is_none());
    }
}
