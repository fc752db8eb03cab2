//! The development outbox: messages are appended to a JSON-lines file instead of being sent.
//! Tests and newcomers read codes from it through `GET /api/v1/dev/sms-outbox?mobile=…`, served
//! only while the outbox is the configured gateway.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use yinxin_privacy::vault::Vault;

use super::{SmsError, SmsGateway, SmsMessage, SmsReceipt};

/// The pseudonym context of outbox recipients.
const CONTEXT: &str = "sms-outbox";

/// One message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutboxEntry {
    /// Receipt id.
    pub id: String,
    /// Unix second.
    pub at: i64,
    /// Keyed pseudonym (hex) of the number: the number itself is not written.
    pub to_key: String,
    /// The number, masked (`138****0001`).
    pub to_masked: String,
    /// Template code.
    pub template: String,
    /// Template parameters (the code is here: that is what the outbox is for).
    pub params: Vec<(String, String)>,
}

/// The outbox gateway.
#[derive(Clone, Debug)]
pub struct Outbox {
    path: PathBuf,
    vault: Vault,
    lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn masked(mobile: &str) -> String {
    mobile
        .chars()
        .enumerate()
        .map(|(i, c)| if (3..7).contains(&i) { '*' } else { c })
        .collect()
}

impl Outbox {
    /// An outbox writing to `path` (created 0600 on first message).
    pub fn new(path: PathBuf, vault: Vault) -> Self {
        Self {
            path,
            vault,
            lock: Default::default(),
        }
    }

    /// Where messages go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The messages sent to `mobile`, oldest first.
    pub async fn messages_for(&self, mobile: &str) -> Result<Vec<OutboxEntry>, SmsError> {
        let key = hex(&self.vault.pseudonym(CONTEXT, mobile.as_bytes()));
        let _guard = self.lock.lock().await;
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(SmsError::Unavailable(format!("reading the outbox: {e}"))),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str::<OutboxEntry>(l).ok())
            .filter(|e| e.to_key == key)
            .collect())
    }
}

#[async_trait]
impl SmsGateway for Outbox {
    async fn send(&self, m: &SmsMessage) -> Result<SmsReceipt, SmsError> {
        let entry = OutboxEntry {
            id: uuid::Uuid::new_v4().to_string(),
            at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0),
            to_key: hex(&self.vault.pseudonym(CONTEXT, m.mobile.as_bytes())),
            to_masked: masked(&m.mobile),
            template: m.template.clone(),
            params: m.params.clone(),
        };
        let line = serde_json::to_string(&entry)
            .map_err(|e| SmsError::Unavailable(format!("encoding: {e}")))?;
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&path)?;
            writeln!(f, "{line}")
        })
        .await
        .map_err(|e| SmsError::Unavailable(format!("outbox task: {e}")))?
        .map_err(|e| SmsError::Unavailable(format!("writing the outbox: {e}")))?;
        Ok(SmsReceipt {
            provider_id: entry.id,
        })
    }

    fn name(&self) -> &'static str {
        "outbox"
    }
}
