//! What the account benchmarks share: the accounts service over a fresh SQLite store, with a
//! vault under a new master key, SMS to an outbox and cheap password hashing (the benchmarks
//! measure other things).

use std::path::Path;
use std::sync::Arc;

use yinxin_identity::sms::outbox::Outbox;
use yinxin_identity::{Accounts, AccountsConfig, PasswordParams};
use yinxin_privacy::Cipher;
use yinxin_privacy::master_key::MasterKey;
use yinxin_privacy::vault::Vault;
use yinxin_store::Backend;
use yinxin_store::testing::TestDb;

/// The store, its vault and the accounts service over them, configured by `config` from the
/// defaults with cheap password hashing; the outbox goes to `dir`.
pub async fn accounts(
    dir: &Path,
    config: impl FnOnce(&mut AccountsConfig),
) -> (TestDb, Vault, Accounts) {
    let db = TestDb::new(Backend::Sqlite).await;
    let vault = Vault::open(
        &MasterKey::generate(),
        db.stores.keys.clone(),
        db.stores.pi.clone(),
        Cipher::default(),
    )
    .await
    .unwrap();
    let outbox = Outbox::new(dir.join("outbox.jsonl"), vault.clone());
    let mut c = AccountsConfig {
        password: PasswordParams {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
        ..AccountsConfig::default()
    };
    config(&mut c);
    let accounts = Accounts::open(
        vault.clone(),
        db.stores.accounts.clone(),
        Arc::new(outbox),
        c,
    )
    .await
    .unwrap();
    (db, vault, accounts)
}
