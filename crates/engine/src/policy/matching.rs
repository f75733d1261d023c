//! Wildcards, ARNs and principals as policies match them.

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` any one
/// character (the `StringLike` / `Action` / `Resource` wildcards). Case-sensitive: callers
/// lower-case both sides where AWS compares without case. Iterative with backtracking to the
/// last `*`: linear in practice, never exponential.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        return glob_units(pattern.as_bytes(), text.as_bytes(), |a, b| a == b);
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_units(&p, &t, |a, b| a == b)
}

/// [`glob`] without case for `text` (`pattern` is lower-cased already, as parsed actions are).
pub(crate) fn glob_ignore_case(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        if !pattern.contains(['*', '?']) {
            return pattern.eq_ignore_ascii_case(text);
        }
        return glob_units(pattern.as_bytes(), text.as_bytes(), |p, t| {
            *p == t.to_ascii_lowercase()
        });
    }
    glob(pattern, &text.to_lowercase())
}

/// The wildcard walk over units (bytes or chars) compared by `eq`.
fn glob_units<T: PartialEq + From<u8>>(p: &[T], t: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    let (many, one) = (T::from(b'*'), T::from(b'?'));
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || eq(&p[pi], &t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == many {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == many {
        pi += 1;
    }
    pi == p.len()
}

/// `ArnLike`: the six colon-separated parts of an ARN are matched one by one (a `*` does not
/// cross a colon before the resource part), the resource part with wildcards across colons.
/// A pattern that is not an ARN (`*`) is matched as a plain wildcard.
pub(crate) fn arn_like(pattern: &str, arn: &str) -> bool {
    if !pattern.starts_with("arn:") {
        return glob(pattern, arn);
    }
    let (mut p, mut a) = (pattern.splitn(6, ':'), arn.splitn(6, ':'));
    (0..6).all(|_| matches!((p.next(), a.next()), (Some(p), Some(a)) if glob(p, a)))
}

/// Whether the `AWS` principal `name` of a policy names the caller (`account`, `arn`):
/// `"*"`; an account id or `arn:aws:iam::<acct>:root` (every identity of that account); the
/// caller's own ARN; or a role ARN naming the role of an assumed-role session
/// (`arn:aws:iam::<acct>:role/path/name` matches `arn:aws:sts::<acct>:assumed-role/name/*`).
pub(crate) fn aws_principal(name: &str, account: &str, arn: &str) -> bool {
    if name == "*" || name == account || name == arn {
        return true;
    }
    let Some(p) = crate::arn::parse(name) else {
        return false;
    };
    if p.service != "iam" && p.service != "sts" {
        return false;
    }
    if p.account != account {
        return false;
    }
    if p.service == "iam" && p.resource == "root" {
        return true;
    }
    if let Some(role_path) = p.resource.strip_prefix("role/") {
        let role = role_path.rsplit('/').next().unwrap_or(role_path);
        if let Some(session) = crate::arn::parse(arn)
            .filter(|c| c.service == "sts")
            .and_then(|c| c.resource.strip_prefix("assumed-role/"))
        {
            return session.split('/').next() == Some(role);
        }
    }
    false
}
