//! Personal-information protection: the vault and the inventory it obeys.
//!
//! - [`vault::Vault`] — seals every PI field with a per-subject data key (AES-256-GCM by default,
//!   SM4-GCM selectable), wraps data keys with the master key, gives exact-match lookup through
//!   keyed blind indexes, and erases a subject by destroying its key (crypto-shredding, PRIV-16).
//! - [`master_key::MasterKey`] — the root of the key hierarchy, in a file outside the databases.
//! - [`inventory`] — re-exported from `yinxin-domain`, where the declarations live so that no other
//!   crate can invent a field (the struct is `#[non_exhaustive]`).

pub mod master_key;
mod seal;
pub mod vault;

pub use seal::Cipher;
pub use yinxin_domain::inventory;
pub use yinxin_domain::sensitive::Sensitive;
