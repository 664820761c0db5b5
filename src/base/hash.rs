//! The content hash that names a policy set in every answer, so that a
//! logged decision can be traced to the exact rules that made it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// SHA-256 over the set's files in name order, each as its name and text
/// with their lengths, so that no two different sets can frame the same
/// bytes. Names are file names without their directory: the same files
/// give the same hash wherever they are checked out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PolicyHash([u8; 32]);

impl PolicyHash {
    /// Hashes `(name, text)` pairs; the order they come in does not matter.
    pub fn of<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> PolicyHash {
        let mut files: Vec<(&str, &str)> = files
            .into_iter()
            .map(|(name, text)| (base_name(name), text))
            .collect();
        files.sort_unstable();
        let mut hasher = Sha256::new();
        hasher.update(b"credo policy set v1\n");
        for (name, text) in files {
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        PolicyHash(hasher.finalize().into())
    }

    /// The first 12 hex digits, as text output shows it.
    pub fn short(&self) -> String {
        let full = self.to_string();
        full.chars().take("sha256:".len() + 12).collect()
    }
}

/// `dir/agency.credo` and `dir\agency.credo` are both `agency.credo`.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

impl fmt::Display for PolicyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for PolicyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a text is not a policy hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a policy hash; expected `sha256:` and 64 hex digits")]
pub struct BadHash(pub String);

impl FromStr for PolicyHash {
    type Err = BadHash;

    fn from_str(text: &str) -> Result<PolicyHash, BadHash> {
        let bad = || BadHash(crate::base::limits::clip(text));
        let hex = text.strip_prefix("sha256:").ok_or_else(bad)?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or_else(bad)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(PolicyHash(bytes))
    }
}

impl Serialize for PolicyHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PolicyHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PolicyHash, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_in_any_order_or_directory_hash_alike() {
        let a = PolicyHash::of([("p/a.credo", "x"), ("p/b.credo", "y")]);
        let b = PolicyHash::of([("q/b.credo", "y"), ("a.credo", "x")]);
        assert_eq!(a, b);
    }

    #[test]
    fn framing_keeps_names_and_texts_apart() {
        let a = PolicyHash::of([("a.credo", "bc")]);
        let b = PolicyHash::of([("a.credob", "c")]);
        assert_ne!(a, b);
        assert_ne!(a, PolicyHash::of([("a.credo", "bc "), ("b.credo", "")]));
    }

    #[test]
    fn a_hash_reads_back_from_its_text() {
        let a = PolicyHash::of([("a.credo", "x")]);
        assert_eq!(a.to_string().parse::<PolicyHash>(), Ok(a));
        assert!("sha256:zz".parse::<PolicyHash>().is_err());
        assert_eq!(a.short().len(), "sha256:".len() + 12);
    }
}
