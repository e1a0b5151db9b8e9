//! Stripe-shaped identifiers: `<prefix>_` and 24 base62 characters. The first eight encode a
//! process-wide counter so ids never repeat (a snapshot carries it across restarts); the rest are
//! random, as Stripe's look.

use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static COUNTER: AtomicU64 = AtomicU64::new(1);

pub fn new_id(prefix: &str) -> String {
    let mut n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut out = String::with_capacity(prefix.len() + 25);
    out.push_str(prefix);
    out.push('_');
    let mut counter = [b'0'; 8];
    for slot in counter.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    out.extend(counter.iter().map(|b| *b as char));
    push_random(&mut out, 16);
    out
}

/// The counter value the next id will use, for a snapshot.
pub fn next_counter() -> u64 {
    COUNTER.load(Ordering::Relaxed)
}

/// Moves the counter to at least `next`, so ids made after a restart never repeat saved ones.
pub fn continue_from(next: u64) {
    COUNTER.fetch_max(next, Ordering::Relaxed);
}

/// A secret such as a webhook signing secret: `<prefix>_` and 32 random base62 characters.
pub fn secret(prefix: &str) -> String {
    let mut out = format!("{prefix}_");
    push_random(&mut out, 32);
    out
}

/// Random uppercase letters and digits, as in an invoice number prefix.
pub fn code(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| ALPHABET[rng.gen_range(0..36)] as char).collect()
}

fn push_random(out: &mut String, len: usize) {
    let mut rng = rand::thread_rng();
    out.extend((0..len).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char));
}

/// The prefix of an id (`pr` for `pr_…`), which names its object type.
pub fn prefix(id: &str) -> &str {
    id.split_once('_').map_or("", |(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_prefix_and_never_repeat() {
        let a = new_id("pr");
        let b = new_id("pr");
        assert!(a.starts_with("pr_") && a.len() == 27, "{a}");
        assert_ne!(a, b);
        assert_eq!(prefix(&a), "pr");
    }

    #[test]
    fn the_counter_continues_from_a_saved_value() {
        let saved = next_counter() + 1_000_000;
        continue_from(saved);
        continue_from(1);
        let id = new_id("cus");
        let counter = id["cus_".len()..].bytes().take(8).fold(0, |n, b| n * 62 + ALPHABET.iter().position(|a| *a == b).unwrap() as u64);
        assert!(counter >= saved, "{id} counts {counter}, below {saved}");
    }

    #[test]
    fn secrets_are_long_and_prefixed() {
        let s = secret("whsec");
        assert!(s.starts_with("whsec_") && s.len() == 38);
    }
}
