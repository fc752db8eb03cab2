//! The record of processing activities and the personal-information impact assessment (issue 8
//! item 10; PIPL arts. 55–56; GB/T 35273 §11.3; docs/RECORDS.md): generated from the inventory
//! and the registers of processors and relying applications, each version kept at least three
//! years — the database refuses to delete one earlier or to change one at all.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::repo::StoreResult;

/// Three years, in seconds (PIPL art. 56: the assessment report and the processing record are
/// kept at least three years).
pub const KEPT_SECS: i64 = 3 * 365 * 86_400;

/// Which document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// The record of processing activities (处理活动记录).
    Ropa,
    /// The personal-information protection impact assessment report (个人信息保护影响评估报告).
    Pia,
}

impl RecordKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ropa => "ropa",
            Self::Pia => "pia",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ropa" => Some(Self::Ropa),
            "pia" => Some(Self::Pia),
            _ => None,
        }
    }
}

/// One version of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProcessingRecord {
    /// Which document.
    pub kind: RecordKind,
    /// 1, 2, … per kind.
    pub version: u32,
    /// SHA-256 of `document`, hex.
    pub sha256: String,
    /// The document, JSON (`yinxin.ropa.v1` or `yinxin.pia.v1`); left out of lists.
    #[serde(skip)]
    pub document: String,
    /// `system` (at start, when the registers changed) or the privacy officer's account id.
    pub created_by: String,
    /// Unix second.
    pub created_at: i64,
    /// Unix second before which the database refuses to delete it.
    pub retain_until: i64,
}

/// Storage of the versions.
#[async_trait]
pub trait ProcessingRecordRepo: Send + Sync + std::fmt::Debug {
    /// Stores a new version; a version of that number already stored is a conflict.
    async fn insert_processing_record(&self, r: &ProcessingRecord) -> StoreResult<()>;

    /// The latest version of `kind`.
    async fn latest_processing_record(
        &self,
        kind: RecordKind,
    ) -> StoreResult<Option<ProcessingRecord>>;

    /// Every version of `kind`, newest first, without their documents.
    async fn processing_records(&self, kind: RecordKind) -> StoreResult<Vec<ProcessingRecord>>;

    /// One version, with its document.
    async fn processing_record(
        &self,
        kind: RecordKind,
        version: u32,
    ) -> StoreResult<Option<ProcessingRecord>>;
}
