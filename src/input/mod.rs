//! Fact documents: JSON and YAML read within limits (`doc`, the only
//! serde_yaml user), loaded against the schema into slot values (`facts`),
//! the fast single-pass reader for JSON Lines (`fast`), facts packed for
//! holding many accounts in memory (`packed`), and, for documents with
//! problems, where a field is written (`locate`) and the problems as
//! diagnostics (`report`).

pub mod doc;
pub mod facts;
pub mod fast;
pub mod locate;
pub mod packed;
pub mod report;
