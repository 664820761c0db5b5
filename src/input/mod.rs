//! Fact documents: JSON and YAML read within limits (`doc`, the only
//! serde_yaml user), loaded against the schema into slot values (`facts`),
//! and the fast single-pass reader for JSON Lines (`fast`).

pub mod doc;
pub mod facts;
pub mod fast;
