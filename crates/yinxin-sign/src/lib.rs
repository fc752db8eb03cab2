//! Electronic signatures and seals (issue 6; SIGN-1..SIGN-4 in ../shared/REQUIREMENTS.md).
//!
//! Pure code, no database and no vault, like the structural modules of `yinxin-pki`: the server
//! decides who may sign what (intent, seal authorizations) and records it; this crate makes and
//! checks the artifacts.

pub mod image;
pub mod seal;
pub mod signature;
