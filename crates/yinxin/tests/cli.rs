//! The `yinxin` program as an operator runs it: a real process, real files, real databases.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_yinxin");

/// The program with a clean environment (no stray YINXIN_* from the caller).
fn yinxin() -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("YINXIN_") {
            c.env_remove(k);
        }
    }
    c.env("YINXIN_LOG_LEVEL", "warn");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run yinxin")
}

/// A server process; killed (SIGTERM) on drop.
struct Server {
    child: Child,
    base: String,
    banner: String,
}

impl Server {
    fn start(cmd: &mut Command) -> Self {
        let mut child = cmd
            .arg("--listen")
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn yinxin serve");
        let stdout = child.stdout.take().unwrap();
        let mut banner = String::new();
        let mut base = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            banner.push_str(&line);
            banner.push('\n');
            if let Some(url) = line.trim().strip_prefix("listening:") {
                base = Some(url.trim().to_owned());
                break;
            }
        }
        let base = base.unwrap_or_else(|| panic!("server did not start; it printed:\n{banner}"));
        Self {
            child,
            base,
            banner,
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        reqwest::blocking_get(&format!("{}{path}", self.base))
    }

    fn stop(mut self) -> std::process::ExitStatus {
        terminate(&self.child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn terminate(child: &Child) {
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
}

mod reqwest {
    /// A tiny blocking GET over a fresh runtime (the tests are synchronous).
    pub fn blocking_get(url: &str) -> (u16, String) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = ::reqwest::get(url).await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    }
}

/// Every file in `dir` with its length and a hash of its content: "nothing was written" is "this
/// did not change". SQLite's shared-memory index and an empty WAL hold no data and come and go with
/// connections, so they are left out.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with("-shm") || (name.ends_with("-wal") && bytes.is_empty()) {
                continue;
            }
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            out.insert(e.path(), (bytes.len(), h.finish()));
        }
    }
    out
}

fn stderr_line(o: &Output) -> String {
    let s = String::from_utf8_lossy(&o.stderr).into_owned();
    let lines: Vec<&str> = s
        .lines()
        .filter(|l| l.starts_with("yinxin: error:"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one error line expected, stderr was:\n{s}"
    );
    lines[0].to_owned()
}

fn check_served(s: &Server) {
    let (st, body) = s.get("/healthz");
    assert_eq!((st, body.as_str()), (200, r#"{"status":"ok"}"#));
    assert_eq!(s.get("/readyz").0, 200);
    let (st, doc) = s.get("/api/v1/openapi.json");
    assert_eq!(st, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let (st, inv) = s.get("/api/v1/privacy/inventory");
    assert_eq!(st, 200);
    let inv: Value = serde_json::from_str(&inv).unwrap();
    assert!(inv["fields"].as_array().unwrap().len() > 20);
}

#[test]
fn serve_with_no_configuration_creates_everything_and_restarts_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(yinxin().current_dir(tmp.path()).arg("serve"));
    let data = tmp.path().join("yinxin-data");
    assert!(
        s.banner
            .contains(&data.join("yinxin.db").display().to_string()),
        "{}",
        s.banner
    );
    assert!(
        s.banner
            .contains(&data.join("master.key").display().to_string())
    );
    assert!(s.banner.contains("created now"));
    // A fresh start uses the SMS outbox and says so (issue 3).
    assert!(
        s.banner.contains("sms:        development outbox")
            && s.banner
                .contains(&data.join("sms-outbox.jsonl").display().to_string()),
        "{}",
        s.banner
    );
    check_served(&s);
    assert!(s.stop().success(), "SIGTERM is a clean stop");

    use std::os::unix::fs::PermissionsExt;
    for f in ["master.key", "yinxin.db", "keystore.db"] {
        let mode = std::fs::metadata(data.join(f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{f} is {mode:o}");
    }
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );

    // A second start reuses the key and the data.
    let s = Server::start(yinxin().current_dir(tmp.path()).arg("serve"));
    assert!(!s.banner.contains("created now"), "{}", s.banner);
    check_served(&s);
    s.stop();
}

#[test]
fn serve_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, name) = rt.block_on(yinxin_store::testing::create_postgres_database());
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("pg-master.key");
    let s = Server::start(
        yinxin()
            .env("YINXIN_MASTER_KEY_FILE", &key)
            .args(["serve", "--data-dir"])
            .arg(tmp.path().join("unused"))
            .arg("--database-url")
            .arg(&url),
    );
    assert!(
        s.banner.contains("(PostgreSQL)") && s.banner.contains("yinxin_keystore"),
        "{}",
        s.banner
    );
    check_served(&s);
    s.stop();
    assert!(key.exists());
    assert!(
        !tmp.path().join("unused").exists(),
        "PostgreSQL with an explicit key file needs no data dir"
    );
    // `migrate` on the same database is a no-op that succeeds.
    let o = run(yinxin().args(["migrate", "--database-url", &url]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    rt.block_on(yinxin_store::testing::drop_postgres_database(&name));
}

#[test]
fn unknown_configuration_keys_are_refused_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("yinxin.toml");
    std::fs::write(&cfg, "lisen = \"127.0.0.1:9999\"\n").unwrap();
    let o = run(yinxin()
        .current_dir(tmp.path())
        .arg("--config")
        .arg(&cfg)
        .arg("serve"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_line(&o).contains("lisen"));
    let o = run(yinxin()
        .current_dir(tmp.path())
        .env("YINXIN_DATA_DIRR", "x")
        .arg("serve"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_line(&o).contains("data_dirr"));
    assert!(!tmp.path().join("yinxin-data").exists());
}

#[test]
fn an_unreachable_database_is_refused_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(yinxin().current_dir(tmp.path()).args([
        "serve",
        "--database-url",
        "postgres://yx:hunter2@127.0.0.1:1/yinxin",
    ]));
    assert_eq!(o.status.code(), Some(1));
    let line = stderr_line(&o);
    assert!(
        line.contains("127.0.0.1:1") && !line.contains("hunter2"),
        "{line}"
    );
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "something was written"
    );
}

#[test]
fn a_master_key_that_does_not_open_the_data_is_refused_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let s = Server::start(yinxin().args(["serve", "--data-dir"]).arg(&data));
    s.stop();
    let key = data.join("master.key");
    std::fs::remove_file(&key).unwrap();
    // A well-formed key, just not this vault's.
    std::fs::write(
        &key,
        "yinxin-master-key-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    )
    .unwrap();
    let before = snapshot(&data);
    let o = run(yinxin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data));
    assert_eq!(o.status.code(), Some(1));
    let line = stderr_line(&o);
    assert!(line.contains("does not open the existing data"), "{line}");
    assert_eq!(snapshot(&data), before, "files changed");

    // And a missing key for existing data is refused, not silently replaced.
    std::fs::remove_file(&key).unwrap();
    let before = snapshot(&data);
    let o = run(yinxin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr_line(&o).contains("no master key"));
    assert_eq!(snapshot(&data), before);
}

/// SQL run on the data database of `data` (SQLite), as an operator with a shell would.
fn sql(data: &Path, statements: &[&str]) {
    use sqlx::ConnectOptions;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(data.join("yinxin.db"))
            .connect()
            .await
            .unwrap();
        for q in statements {
            sqlx::query(q).execute(&mut c).await.unwrap();
        }
    });
}

/// Issue 7 item 6: the log's entries integrated and checkpointed by the running server; a leaf
/// then edited by hand in the database (its guard trigger dropped first) makes the next start
/// stop with the start-up check's message, before anything is served.
#[test]
fn an_evidence_log_edited_by_hand_stops_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let s = Server::start(yinxin().args(["serve", "--data-dir"]).arg(&data));
    assert!(s.banner.contains("log:        "), "{}", s.banner);
    let entry = |n: u8| {
        let e = yinxin_ledger::entry::Entry {
            time_ms: 1_800_000_000_000,
            body: yinxin_ledger::entry::EntryBody::Timestamp {
                token: yinxin_ledger::entry::Commitment([n; 32]),
            },
        };
        e.encode()
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let inserts: Vec<String> = (1..=3)
        .map(|n| {
            format!(
                "INSERT INTO ledger_pending (entry, queued_at) VALUES (x'{}', 0)",
                entry(n)
            )
        })
        .collect();
    sql(
        &data,
        &inserts.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // The sequencer integrates them and signs a checkpoint of 3 within a few seconds.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, note) = s.get("/log/checkpoint");
        if st == 200 && note.lines().nth(1) == Some("3") {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint of 3: {st} {note}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (st, e) = s.get("/api/v1/log/entries/2");
    assert_eq!(st, 200, "{e}");
    assert!(s.stop().success());
    // A clean restart passes the check.
    let s = Server::start(yinxin().args(["serve", "--data-dir"]).arg(&data));
    assert!(s.stop().success());

    sql(
        &data,
        &[
            "DROP TRIGGER ledger_leaves_append_only",
            &format!(
                "UPDATE ledger_leaves SET entry = x'{}' WHERE idx = 1",
                entry(9)
            ),
        ],
    );
    let o = run(yinxin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data));
    assert_eq!(o.status.code(), Some(1));
    let line = stderr_line(&o);
    assert!(
        line.contains("does not match its last signed checkpoint"),
        "{line}"
    );
}

/// Issue 7 items 3 and 5: a server whose checkpoints are anchored by another service's RFC 3161
/// TSA (a second `yinxin serve`, the "third party"); a leaf's proof bundle, fetched by its hash,
/// carries the anchor's token over the very checkpoint it is proved against; `yinxin verify
/// proof` accepts it offline with the log's key and the TSA's chain, and `openssl ts -verify`
/// accepts the token over the checkpoint's note; a changed entry, another log's key, or a
/// receipt over another checkpoint are each refused (exit 1).
#[test]
fn a_proof_bundle_with_its_anchor_verifies_offline() {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let tmp = tempfile::tempdir().unwrap();
    let third = Server::start(
        yinxin()
            .args(["serve", "--data-dir"])
            .arg(tmp.path().join("t")),
    );
    let data = tmp.path().join("d");
    let s = Server::start(
        yinxin()
            .env("YINXIN_LOG_ANCHOR_URLS", format!("{}/pki/tsa", third.base))
            .env("YINXIN_LOG_ANCHOR_SECONDS", "1")
            .args(["serve", "--data-dir"])
            .arg(&data),
    );
    let entry = yinxin_ledger::entry::Entry {
        time_ms: 1_800_000_000_000,
        body: yinxin_ledger::entry::EntryBody::Timestamp {
            token: yinxin_ledger::entry::Commitment([7; 32]),
        },
    }
    .encode()
    .unwrap();
    let leaf: String = yinxin_ledger::tree::leaf_hash(&entry)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let hexed: String = entry.iter().map(|b| format!("{b:02x}")).collect();
    sql(
        &data,
        &[&format!(
            "INSERT INTO ledger_pending (entry, queued_at) VALUES (x'{hexed}', 0)"
        )],
    );
    // Integrated, checkpointed, then anchored within a few seconds.
    let deadline = Instant::now() + Duration::from_secs(30);
    let bundle = loop {
        // Not a record's entry (queued by hand): by index, its leaf hash checked below.
        let (st, b) = s.get("/api/v1/log/bundle?index=0");
        if st == 200 {
            let v: serde_json::Value = serde_json::from_str(&b).unwrap();
            if v["anchors"].as_array().is_some_and(|a| !a.is_empty()) {
                break v;
            }
        }
        assert!(Instant::now() < deadline, "no anchored bundle: {st} {b}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        bundle["anchors"][0]["anchor"],
        format!("rfc3161:{}/pki/tsa", third.base)
    );
    let (_, key) = s.get("/log/key");
    let (_, other_key) = third.get("/log/key");
    let mut chain = String::new();
    for alg in ["p256", "sm2"] {
        let (st, pem) = third.get(&format!("/pki/chain.pem?alg={alg}"));
        assert_eq!(st, 200);
        chain.push_str(&pem);
    }
    let f = |n: &str| tmp.path().join(n);
    std::fs::write(f("chain.pem"), &chain).unwrap();
    std::fs::write(f("key"), &key).unwrap();
    std::fs::write(f("b.json"), bundle.to_string()).unwrap();
    let verify = |file: &str, key: &str| {
        run(yinxin()
            .args(["verify", "proof", "--json", "--trust"])
            .arg(f("chain.pem"))
            .args(["--key", key])
            .arg(f(file)))
    };
    let o = verify("b.json", f("key").to_str().unwrap());
    assert!(o.status.success(), "{o:?}");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["entry_type"], "timestamp", "{report}");
    assert_eq!(report["leaf_hash"], leaf.as_str(), "{report}");
    assert_eq!(report["anchors"][0]["valid"], true, "{report}");
    assert_eq!(report["anchors"][0]["tsa_trusted"], true, "{report}");
    let o = run(yinxin()
        .args(["verify", "proof", "--key"])
        .arg(f("key"))
        .arg(f("b.json")));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{o:?}");
    assert!(
        text.contains(&format!("hash {leaf} (included: yes)"))
            && text.contains("trusted: NO")
            && text.ends_with("valid: yes\n"),
        "{text}"
    );

    // OpenSSL: the receipt is an RFC 3161 token over the checkpoint note in the bundle.
    let proof = bundle["tlog_proof"].as_str().unwrap();
    let note = proof.split_once("\n\n").unwrap().1;
    std::fs::write(f("note"), note).unwrap();
    let token = STANDARD
        .decode(bundle["anchors"][0]["receipt"].as_str().unwrap())
        .unwrap();
    std::fs::write(f("token.der"), token).unwrap();
    let o = run(Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(f("token.der"))
        .arg("-data")
        .arg(f("note"))
        .arg("-CAfile")
        .arg(f("chain.pem")));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Verification: OK"),
        "{o:?}"
    );

    // Refusals: another log's key; a changed entry; a receipt that is not over this checkpoint.
    let o = verify("b.json", other_key.trim());
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let extra = proof
        .lines()
        .nth(1)
        .unwrap()
        .strip_prefix("extra ")
        .unwrap();
    let mut changed_entry = STANDARD.decode(extra).unwrap();
    changed_entry[20] ^= 1;
    let mut changed = bundle.clone();
    changed["tlog_proof"] = proof
        .replacen(extra, &STANDARD.encode(&changed_entry), 1)
        .into();
    std::fs::write(f("changed.json"), changed.to_string()).unwrap();
    let o = verify("changed.json", key.trim());
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report["problem"]
            .as_str()
            .unwrap()
            .starts_with("inclusion:"),
        "{report}"
    );
    let mut foreign = bundle.clone();
    foreign["anchors"][0]["receipt"] = STANDARD.encode(b"not a token").into();
    std::fs::write(f("foreign.json"), foreign.to_string()).unwrap();
    let o = verify("foreign.json", key.trim());
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["anchors"][0]["valid"], false, "{report}");
    assert!(s.stop().success());
    assert!(third.stop().success());
}

#[test]
fn a_data_directory_that_is_not_writable_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // root ignores mode bits; /proc refuses new files even to root.
    let probe = ro.join("probe");
    let target = if std::fs::write(&probe, b"").is_ok() {
        std::fs::remove_file(&probe).unwrap();
        PathBuf::from("/proc")
    } else {
        ro.clone()
    };
    let o = run(yinxin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&target));
    assert_eq!(o.status.code(), Some(1));
    let line = stderr_line(&o);
    assert!(
        line.contains("is not writable") && line.contains(&target.display().to_string()),
        "{line}"
    );
    // A path under a regular file cannot be created at all.
    let file = tmp.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let o = run(yinxin().args(["serve", "--data-dir"]).arg(file.join("sub")));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr_line(&o).contains("cannot create data directory"));
}

#[test]
fn rotating_the_master_key_keeps_the_data_and_retires_the_old_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let s = Server::start(yinxin().args(["serve", "--data-dir"]).arg(&data));
    s.stop();
    let key = data.join("master.key");
    let old = std::fs::read(&key).unwrap();

    let o = run(yinxin()
        .args(["rotate-master-key", "--data-dir"])
        .arg(&data));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("master key rotated"));
    let new = std::fs::read(&key).unwrap();
    assert_ne!(old, new);
    // (That the sealed data is untouched byte for byte is proved in yinxin-privacy's vault tests.)
    let s = Server::start(yinxin().args(["serve", "--data-dir"]).arg(&data));
    check_served(&s);
    s.stop();

    // A crash between the key-store commit and the file rename leaves `master.key.next`: the next
    // start finishes the rename instead of refusing.
    std::fs::rename(&key, data.join("master.key.next")).unwrap();
    std::fs::write(&key, &old).unwrap();
    let s = Server::start(yinxin().args(["serve", "--data-dir"]).arg(&data));
    s.stop();
    assert_eq!(std::fs::read(&key).unwrap(), new);
    assert!(!data.join("master.key.next").exists());

    // The old key no longer opens anything.
    std::fs::write(&key, &old).unwrap();
    let o = run(yinxin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_published_policy_is_served_and_never_edited() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = dir.path().join("policy.md");
    std::fs::write(&text, "# 隐私政策 2099\n\nNew purposes.").unwrap();
    let publish = |version: &str, effective: &str| {
        run(yinxin()
            .args([
                "publish-policy",
                "--material",
                "--policy-version",
                version,
                "--effective-on",
                effective,
            ])
            .arg("--data-dir")
            .arg(&data)
            .arg(&text))
    };
    let o = publish("2099-01-01", "2099-01-01");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("privacy policy 2099-01-01 published"));
    // Again with the same text: nothing changes. With another: refused, exit 1, one line.
    assert!(publish("2099-01-01", "2099-01-01").status.success());
    std::fs::write(&text, "edited").unwrap();
    let o = publish("2099-01-01", "2099-01-01");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr_line(&o).contains("never changes"),
        "{}",
        stderr_line(&o)
    );
    let o = publish("2099-02-01", "2099-02-30");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr_line(&o).contains("effective_on"),
        "{}",
        stderr_line(&o)
    );
    // Not in effect yet: the server still serves the built-in version.
    let s = Server::start(yinxin().args(["serve", "--data-dir"]).arg(&data));
    let (st, body) = s.get("/api/v1/policies/current");
    assert_eq!(st, 200);
    let current: Value = serde_json::from_str(&body).unwrap();
    assert_ne!(current["version"], "2099-01-01");
    s.stop();
}

#[test]
fn inventory_and_openapi_print_without_a_database() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(yinxin().current_dir(tmp.path()).arg("inventory"));
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("person.document_number") && text.contains("never stored"),
        "{text}"
    );
    let o = run(yinxin()
        .current_dir(tmp.path())
        .args(["inventory", "--json"]));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["fields"].as_array().unwrap().len(),
        yinxin_domain::inventory::INVENTORY.len()
    );
    let o = run(yinxin().current_dir(tmp.path()).arg("openapi"));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["paths"]["/readyz"].is_object());
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
}

/// IDV-3: a fresh `yinxin serve` points identity verification at the simulator and says so;
/// `--with-simulator` starts it, serving its dataset at `/_fixtures`.
#[test]
fn serve_with_simulator_starts_it_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        yinxin()
            .args(["serve", "--data-dir"])
            .arg(dir.path().join("a")),
    );
    assert!(
        s.banner.contains("authority-sim") && s.banner.contains("not started here"),
        "{}",
        s.banner
    );
    s.stop();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = Server::start(
        yinxin()
            .env("YINXIN_AUTHORITY_SIM_LISTEN", format!("127.0.0.1:{port}"))
            .args(["serve", "--with-simulator", "--data-dir"])
            .arg(dir.path().join("b")),
    );
    assert!(
        s.banner.contains("the simulator, started here"),
        "{}",
        s.banner
    );
    let (status, body) = reqwest::blocking_get(&format!("http://127.0.0.1:{port}/_fixtures"));
    assert_eq!(status, 200);
    assert!(body.contains("\"persons\""));
    let (status, body) = s.get("/api/v1/privacy/processors");
    assert_eq!(status, 200);
    assert!(body.contains("\"authority-sim\""), "{body}");
    s.stop();

    // A provider reached over plain HTTP off loopback is refused at start, naming the setting.
    let config = dir.path().join("yinxin.toml");
    std::fs::write(
        &config,
        "[[idv_providers]]\nname = \"p\"\nlegal_name = \"P\"\ncontact = \"c\"\nlocation = \"l\"\n\
         endpoint = \"http://faceid.example.com/\"\nocr_endpoint = \"https://ocr.example.com/\"\n\
         secret_id = \"id\"\nsecret_key = \"k\"\n",
    )
    .unwrap();
    let o = run(yinxin()
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("c")));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("idv_providers[0].endpoint"), "{err}");
}

/// `ca_key_store = "pkcs11"`: the P-256 CA keys are generated on the SoftHSM2 token (SM2, which
/// it lacks, in the software store), the banner says so, and a restart signs with the same keys.
/// A wrong PIN stops the start before anything is written, naming the settings.
#[test]
fn ca_keys_on_a_pkcs11_token() {
    let module = std::env::var("TEST_PKCS11_MODULE").unwrap_or_else(|_| {
        panic!("TEST_PKCS11_MODULE is not set: run scripts/ensure-softhsm (scripts/test does)")
    });
    let tmp = tempfile::tempdir().unwrap();
    let pin = tmp.path().join("pin");
    std::fs::write(&pin, "1234\n").unwrap();
    let with_token = |cmd: &mut Command| {
        cmd.current_dir(tmp.path())
            .env("YINXIN_CA_KEY_STORE", "pkcs11")
            .env("YINXIN_PKCS11_MODULE", &module)
            .env("YINXIN_PKCS11_TOKEN_LABEL", "yinxin-test")
            .env("YINXIN_PKCS11_PIN_FILE", &pin);
    };

    let wrong = tmp.path().join("wrong-pin");
    std::fs::write(&wrong, "0000").unwrap();
    let mut cmd = yinxin();
    with_token(&mut cmd);
    let o = run(cmd.env("YINXIN_PKCS11_PIN_FILE", &wrong).arg("serve"));
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let line = stderr_line(&o);
    assert!(
        line.contains("pkcs11_pin_file") && !line.contains("0000"),
        "{line}"
    );
    assert!(!tmp.path().join("yinxin-data").exists());

    let mut cmd = yinxin();
    with_token(&mut cmd);
    let s = Server::start(cmd.arg("serve"));
    assert!(
        s.banner
            .contains("keys of p256 on PKCS#11 token yinxin-test"),
        "{}",
        s.banner
    );
    let (st, chain) = s.get("/pki/chain.pem?alg=p256");
    assert_eq!(st, 200, "{chain}");
    let (st, crl) = s.get("/pki/crl/p256-issuing-1.crl");
    assert_eq!(st, 200, "{crl}");
    assert!(s.stop().success());

    let mut cmd = yinxin();
    with_token(&mut cmd);
    let s = Server::start(cmd.arg("serve"));
    assert_eq!(
        s.get("/pki/chain.pem?alg=p256").1,
        chain,
        "the same hierarchy after a restart"
    );
    // The issuing CA's key is on the token: a fresh CRL is signed there.
    assert_eq!(s.get("/pki/crl/p256-issuing-1.crl").0, 200);
    let token_serial = banner_serial(&s.banner);
    assert!(s.stop().success());

    // `yinxin ca` uses the same key store: show names the token of each key on it, and a
    // rotation makes the new issuing CA's key there too.
    let ca_cmd = |args: &[&str]| {
        let mut cmd = yinxin();
        with_token(&mut cmd);
        let o = run(cmd.arg("ca").args(args));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    ca_cmd(&["rotate", "--algorithm", "p256"]);
    let shown: Vec<Value> = serde_json::from_slice(&ca_cmd(&["show", "--json"])).unwrap();
    let key_of = |id: &str| {
        let c = shown.iter().find(|c| c["id"] == id).unwrap();
        (
            c["key_store"].as_str().unwrap().to_owned(),
            c["token_serial"].as_str().map(str::to_owned),
        )
    };
    for id in [
        "p256-root-1",
        "p256-issuing-1",
        "p256-issuing-2",
        "p256-ocsp-2",
    ] {
        assert_eq!(
            key_of(id),
            ("pkcs11".into(), Some(token_serial.clone())),
            "{id}"
        );
    }
    assert_eq!(key_of("sm2-issuing-1"), ("software".into(), None));
}

/// The token serial a banner names: `… (serial 1234…), …`.
fn banner_serial(banner: &str) -> String {
    let rest = banner
        .split("(serial ")
        .nth(1)
        .unwrap_or_else(|| panic!("{banner}"));
    rest.split(')').next().unwrap().to_owned()
}

/// A JSON request to a running server: (status, body).
fn call(
    s: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = ::reqwest::Client::new();
        let url = format!("{}{path}", s.base);
        let mut req = match method {
            "GET" => client.get(url),
            "POST" => client.post(url),
            "PUT" => client.put(url),
            other => panic!("no method {other}"),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    })
}

fn get_bytes(s: &Server, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = ::reqwest::Client::new().get(format!("{}{path}", s.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    })
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `openssl cms -decrypt` of the DER envelope `file` with `key` (and the recipient's
/// certificate, when given) into `out`: what OpenSSL printed.
fn cms_decrypt(file: &Path, recip: Option<&Path>, key: &Path, out: &Path) -> String {
    let mut args = vec![
        "cms",
        "-decrypt",
        "-inform",
        "DER",
        "-in",
        file.to_str().unwrap(),
    ];
    if let Some(cert) = recip {
        args.extend(["-recip", cert.to_str().unwrap()]);
    }
    args.extend([
        "-inkey",
        key.to_str().unwrap(),
        "-out",
        out.to_str().unwrap(),
    ]);
    openssl(&args)
}

/// `yinxin ca …` on a data directory: (exit code, stdout, the error line if it failed).
fn ca(data: &Path, args: &[&str]) -> (i32, String, String) {
    let o = run(yinxin().arg("ca").args(args).arg("--data-dir").arg(data));
    let code = o.status.code().unwrap();
    let err = if code == 0 {
        String::new()
    } else {
        stderr_line(&o)
    };
    (code, String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// `yinxin ca show --json`, by id.
fn cas(data: &Path) -> BTreeMap<String, Value> {
    let (code, out, err) = ca(data, &["show", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: Vec<Value> = serde_json::from_str(&out).unwrap();
    list.into_iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c))
        .collect()
}

/// The chain a server publishes for `alg`, written as `{name}-issuing.pem`, `{name}-root.pem` and
/// `{name}-chain.pem` in `dir`.
fn save_chain(s: &Server, alg: &str, dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let (st, chain) = s.get(&format!("/pki/chain.pem?alg={alg}"));
    assert_eq!(st, 200, "{chain}");
    let mut parts = chain.split_inclusive("-----END CERTIFICATE-----\n");
    let p = |n: &str| dir.join(format!("{name}-{n}.pem"));
    std::fs::write(p("issuing"), parts.next().unwrap()).unwrap();
    std::fs::write(p("root"), parts.next().unwrap()).unwrap();
    std::fs::write(p("chain"), &chain).unwrap();
    (p("issuing"), p("root"), p("chain"))
}

/// Issue 8 item 7: `yinxin admin staff` beside a running server — a role granted is held at the
/// holder's next request, listed, refused a second time, and revoked at once; bad arguments are
/// refused naming them before anything is opened.
fn staff_roles_from_the_console(s: &Server, data: &Path, token: &str) {
    let admin = |args: &[&str]| {
        let o = run(yinxin()
            .args(["admin", "staff"])
            .args(args)
            .arg("--data-dir")
            .arg(data));
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let roles = || call(s, "GET", "/api/v1/staff/me", Some(token), None).1["roles"].clone();
    assert_eq!(roles(), serde_json::json!([]));
    let grant = [
        "grant",
        "--username",
        "ca-holder",
        "--role",
        "privacy_officer",
        "--operator",
        "ops@ca.example",
    ];
    let (code, out, err) = admin(&grant);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("privacy_officer"), "{out}");
    assert_eq!(roles(), serde_json::json!(["privacy_officer"]));
    let (code, _, err) = admin(&grant);
    assert_eq!(code, 1);
    assert!(err.contains("already holds"), "{err}");
    for (args, want) in [
        (
            vec![
                "grant",
                "--username",
                "ca-holder",
                "--role",
                "janitor",
                "--operator",
                "ops",
            ],
            "--role",
        ),
        (
            vec![
                "grant",
                "--username",
                "ca-holder",
                "--role",
                "auditor",
                "--operator",
                "a b",
            ],
            "--operator",
        ),
        (
            vec![
                "grant",
                "--username",
                "nobody-here",
                "--role",
                "auditor",
                "--operator",
                "ops",
            ],
            "username",
        ),
    ] {
        let (code, _, err) = admin(&args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let (code, out, _) = admin(&["list", "--json"]);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["granted_by"], "ops@ca.example");
    let (code, _, err) = admin(&[
        "revoke",
        "--username",
        "ca-holder",
        "--role",
        "privacy_officer",
        "--operator",
        "ops",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(roles(), serde_json::json!([]));
    let (_, out, _) = admin(&["list", "--json"]);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert!(listed[0]["revoked_at"].is_i64(), "{listed}");

    // The retention engine from the console (issue 8 item 5): the plan changes nothing, a run
    // while the server runs takes the lease and finds nothing due.
    let retention = |args: &[&str]| {
        let o = run(yinxin()
            .args(["admin", "retention"])
            .args(args)
            .arg("--data-dir")
            .arg(data));
        assert!(o.status.success(), "{o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let plan: Value = serde_json::from_str(&retention(&["plan", "--json"])).unwrap();
    assert_eq!(
        (plan["dry_run"].as_bool(), &plan["erased"]),
        (Some(true), &serde_json::json!([])),
        "{plan}"
    );
    let ran: Value = serde_json::from_str(&retention(&["run", "--json"])).unwrap();
    assert_eq!(
        (ran["dry_run"].as_bool(), ran["lease_busy"].as_bool()),
        (Some(false), Some(false)),
        "{ran}"
    );
    assert!(retention(&["plan"]).contains("would erase 0 account(s)"));
}

/// Issue 7 item 4: the certificate's evidence report (once its entry is under a checkpoint:
/// `409` until then) passes `yinxin verify report` with the log's key and the service's roots —
/// its signature at B-LTA and every attached bundle; with another key, or one byte of an attached
/// bundle changed, it does not.
fn evidence_report_verifies_offline(s: &Server, token: &str, serial: &str, dir: &Path) {
    let path = format!("/api/v1/certificates/{serial}/evidence-report?lang=en");
    let deadline = Instant::now() + Duration::from_secs(30);
    let pdf = loop {
        let (st, body) = get_bytes(s, &path, Some(token));
        if st == 200 {
            break body;
        }
        assert_eq!(st, 409, "{}", String::from_utf8_lossy(&body));
        assert!(
            Instant::now() < deadline,
            "the issuance never reached a checkpoint"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let f = |n: &str| dir.join(n);
    let mut chain = String::new();
    for alg in ["p256", "sm2"] {
        chain.push_str(&s.get(&format!("/pki/chain.pem?alg={alg}")).1);
    }
    std::fs::write(f("roots.pem"), chain).unwrap();
    std::fs::write(f("log.key"), s.get("/log/key").1).unwrap();
    std::fs::write(f("report.pdf"), &pdf).unwrap();
    let verify = |file: &str, key: &str| {
        run(yinxin()
            .args(["verify", "report", "--json", "--trust"])
            .arg(f("roots.pem"))
            .args(["--key", key])
            .arg(f(file)))
    };
    let key = f("log.key").display().to_string();
    let o = verify("report.pdf", &key);
    assert!(o.status.success(), "{o:?}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["document"]["signatures"][0]["level"], "B-LTA", "{v}");
    // Offline, the signer's status comes from the issuing CA's CRL its /DSS carries, its
    // signature checked (issue 6 item 7; the service's own certificates get no OCSP response
    // there).
    // ("good" at signing time when the CRL is as recent as the signature, "unknown" when it was
    // made the second before: never "revoked".)
    let rev = &v["document"]["signatures"][0]["revocation"];
    assert_eq!(
        (rev["source"].as_str(), rev["status"].as_str()),
        (Some("dss_crl"), Some("good")),
        "{v}"
    );
    assert_ne!(rev["at_signing_time"], "revoked", "{v}");
    assert_eq!(
        v["proofs"][0]["attachment"],
        format!("certificate-{serial}.proof.json"),
        "{v}"
    );
    assert_eq!(v["proofs"][0]["entry_type"], "certificate_issued", "{v}");
    // Another log's key: the bundles do not verify.
    let other_signer =
        yinxin_crypto::software::SoftwareKey::generate(yinxin_crypto::KeyAlgorithm::Ed25519)
            .unwrap();
    let other = yinxin_ledger::note::LogKey::new(
        "test.yinxin.invalid/log",
        std::sync::Arc::new(other_signer),
    )
    .unwrap()
    .vkey();
    let o = verify("report.pdf", &other);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    // A PDF that is not an evidence report (no bundles), and a report with a byte changed.
    let plain = yinxin_sign::pdf::text_document(&["BT ET".to_owned()]);
    std::fs::write(f("plain.pdf"), plain).unwrap();
    let o = verify("plain.pdf", &key);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let mut changed = pdf.clone();
    let at = changed.len() / 3;
    changed[at] ^= 0x01;
    std::fs::write(f("changed.pdf"), changed).unwrap();
    let o = verify("changed.pdf", &key);
    assert_ne!(o.status.code(), Some(0), "{o:?}");
}

/// `openssl ocsp` against the server's responder for `leaf`, verified under `chain`.
fn ocsp(s: &Server, issuing: &Path, chain: &Path, leaf: &Path) -> String {
    openssl(&[
        "ocsp",
        "-issuer",
        issuing.to_str().unwrap(),
        "-cert",
        leaf.to_str().unwrap(),
        "-url",
        &format!("{}/pki/ocsp", s.base),
        "-CAfile",
        chain.to_str().unwrap(),
        "-resp_text",
    ])
}

/// A person verified through the simulator, with a session: the token.
/// The simulator's first person whose carrier check matches.
fn matching_person(sim_port: u16) -> Value {
    let (st, f) = reqwest::blocking_get(&format!("http://127.0.0.1:{sim_port}/_fixtures"));
    assert_eq!(st, 200);
    let f: Value = serde_json::from_str(&f).unwrap();
    f["persons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p.get("note").is_none() && p["expected"]["carrier"] == "match")
        .unwrap()
        .clone()
}

fn verified_person(s: &Server, sim_port: u16) -> String {
    let p = matching_person(sim_port);
    let (_, policy) = call(s, "GET", "/api/v1/policies/current", None, None);
    let version = policy["version"].as_str().unwrap();
    let (st, v) = call(
        s,
        "POST",
        "/api/v1/accounts/personal",
        None,
        Some(&serde_json::json!({
            "username": "ca-holder", "password": "correct horse 42", "name": p["name"],
            "country_region": "CN", "document_type": "resident_id_card",
            "document_number": p["id_number"], "mobile": p["mobile"],
            "email": "ca-holder@example.cn", "accept_policy_version": version,
            "consents": ["sensitive_personal_information"],
        })),
    );
    assert_eq!(st, 201, "{v}");
    let (st, v) = call(
        s,
        "POST",
        "/api/v1/sessions",
        None,
        Some(
            &serde_json::json!({"method": "password", "username": "ca-holder",
                                 "password": "correct horse 42"}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    let (st, v) = call(
        s,
        "POST",
        "/api/v1/consents",
        Some(&token),
        Some(
            &serde_json::json!({"scope": "idv_carrier", "action": "given",
                                 "policy_version": version}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    let (st, v) = call(
        s,
        "POST",
        "/api/v1/verifications",
        Some(&token),
        Some(&serde_json::json!({"method": "carrier", "name": p["name"],
                                 "document_number": p["id_number"], "mobile": p["mobile"]})),
    );
    assert_eq!(
        (st, &v["record"]["outcome"]),
        (201, &Value::from("match")),
        "{v}"
    );
    token
}

/// A certificate issued over HTTP from an `openssl req` request: (serial, issuing CA id, PEM
/// path).
fn issue(s: &Server, token: &str, alg: &str, dir: &Path, name: &str) -> (String, String, PathBuf) {
    let key = dir.join(format!("{name}.key"));
    let csr = dir.join(format!("{name}.csr"));
    let out = openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=x",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        csr.to_str().unwrap(),
    ]);
    let csr = std::fs::read_to_string(&csr).unwrap_or_else(|_| panic!("{out}"));
    let (st, v) = call(
        s,
        "POST",
        "/api/v1/certificates",
        Some(token),
        Some(&serde_json::json!({"csr": csr, "profile": "personal_signing", "algorithm": alg})),
    );
    assert_eq!(st, 201, "{v}");
    let leaf = dir.join(format!("{name}.pem"));
    std::fs::write(&leaf, v["certificate_pem"].as_str().unwrap()).unwrap();
    (
        v["serial"].as_str().unwrap().to_owned(),
        v["issuer"].as_str().unwrap().to_owned(),
        leaf,
    )
}

/// Issue 5 (`yinxin ca`), CERT-1, CERT-10: show lists the first start's hierarchies; add makes a
/// P-384 one that a restarted server serves and issues from (a second add is refused, nothing
/// written); staff revocation from the console while the server runs shows in its OCSP answer at
/// once, with the reason; rotation gives P-256 a new issuing CA under the same root, and after a
/// restart the old one's CRL and OCSP answers go on while chain.pem and issuance move to the new.
#[test]
fn operating_the_ca_from_the_console() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, dir) = (tmp.path().join("d"), tmp.path());

    // Like a first `serve`, the first `ca` command creates the configured hierarchies.
    let first = cas(&data);
    let ids: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "p256-evidence-1",
            "p256-issuing-1",
            "p256-ocsp-1",
            "p256-root-1",
            "p256-timestamping-1",
            "sm2-evidence-1",
            "sm2-issuing-1",
            "sm2-ocsp-1",
            "sm2-root-1",
            "sm2-timestamping-1",
        ]
    );
    // Each issuing CA's evidence-report signer (EVID-2) is listed with the CAs.
    assert_eq!(
        (
            first["p256-evidence-1"]["role"].as_str(),
            first["p256-evidence-1"]["parent"].as_str()
        ),
        (Some("evidence"), Some("p256-issuing-1"))
    );
    let issuing1 = &first["p256-issuing-1"];
    assert_eq!(
        (
            issuing1["role"].as_str(),
            issuing1["parent"].as_str(),
            issuing1["active"].as_bool()
        ),
        (Some("issuing"), Some("p256-root-1"), Some(true))
    );
    assert_eq!(issuing1["key_store"], "software");
    assert!(issuing1["key_id"].as_str().unwrap().starts_with("sw:"));
    assert!(
        issuing1["subject"]
            .as_str()
            .unwrap()
            .contains("Issuing CA 1"),
        "{issuing1}"
    );
    let (_, text, _) = ca(&data, &["show"]);
    assert!(
        text.contains("p256-issuing-1 (p256 issuing, active)"),
        "{text}"
    );
    assert!(
        text.contains(issuing1["sha256_fingerprint"].as_str().unwrap()),
        "{text}"
    );

    // add: a whole P-384 hierarchy; a second one is refused, nothing written.
    let (code, out, err) = ca(&data, &["add", "--algorithm", "p384"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("p384-root-1") && out.contains("p384-issuing-1"),
        "{out}"
    );
    // Four more, and (made by the next command's start) the new issuing CA's report signer.
    let with_p384 = cas(&data);
    assert_eq!(with_p384.len(), 15);
    for role in ["root", "issuing", "ocsp", "timestamping", "evidence"] {
        let c = &with_p384[&format!("p384-{role}-1")];
        assert_eq!(
            (c["algorithm"].as_str(), c["active"].as_bool()),
            (Some("p384"), Some(true))
        );
    }
    let before = snapshot(&data);
    let (code, _, err) = ca(&data, &["add", "--algorithm", "p384"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("p384") && err.contains("already has an active hierarchy"),
        "{err}"
    );
    assert_eq!(snapshot(&data), before, "a refused add wrote something");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = Server::start(
        yinxin()
            .env("YINXIN_AUTHORITY_SIM_LISTEN", format!("127.0.0.1:{port}"))
            .args(["serve", "--with-simulator", "--data-dir"])
            .arg(&data),
    );
    assert!(s.banner.contains("p384-issuing-1"), "{}", s.banner);
    let token = verified_person(&s, port);
    // The added hierarchy is served and issues, though the configuration does not name it.
    let (_, p384_root, p384_chain) = save_chain(&s, "p384", dir, "p384");
    let (_, issuer, p384_leaf) = issue(&s, &token, "p384", dir, "p384-leaf");
    assert_eq!(issuer, "p384-issuing-1");
    let out = openssl(&[
        "verify",
        "-CAfile",
        p384_root.to_str().unwrap(),
        "-untrusted",
        p384_chain.to_str().unwrap(),
        p384_leaf.to_str().unwrap(),
    ]);
    assert!(out.contains(": OK"), "{out}");

    // Staff revocation from the console while the server runs: its OCSP says so at once.
    let (old_issuing, old_root, old_chain) = save_chain(&s, "p256", dir, "old");
    let (serial, issuer, leaf) = issue(&s, &token, "p256", dir, "leaf");
    assert_eq!(issuer, "p256-issuing-1");
    evidence_report_verifies_offline(&s, &token, &serial, dir);
    staff_roles_from_the_console(&s, &data, &token);
    let status = ocsp(&s, &old_issuing, &old_chain, &leaf);
    assert!(
        status.contains("Response verify OK") && status.contains(": good"),
        "{status}"
    );
    let (code, out, err) = ca(
        &data,
        &[
            "revoke",
            &serial.to_uppercase(),
            "--reason",
            "ca_compromise",
            "--operator",
            "ops@ca.example",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("operator:ops@ca.example"), "{out}");
    let status = ocsp(&s, &old_issuing, &old_chain, &leaf);
    assert!(
        status.contains("Response verify OK")
            && status.contains(": revoked")
            && status.contains("Reason: cACompromise"),
        "{status}"
    );
    let (_, v) = call(
        &s,
        "GET",
        &format!("/api/v1/certificates/{serial}"),
        None,
        None,
    );
    assert_eq!(
        (v["status"].as_str(), v["revocation_reason"].as_str()),
        (Some("revoked"), Some("ca_compromise")),
        "{v}"
    );
    let (code, _, err) = ca(
        &data,
        &[
            "revoke",
            &serial,
            "--reason",
            "superseded",
            "--operator",
            "ops@ca.example",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("already revoked"), "{err}");

    // Rotation, beside the running server.
    let (code, out, err) = ca(&data, &["rotate", "--algorithm", "p256"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("p256-issuing-2") && out.contains("p256-issuing-1"),
        "{out}"
    );
    assert!(s.stop().success());
    let rotated = cas(&data);
    for (id, active) in [
        ("p256-root-1", true),
        ("p256-issuing-1", false),
        ("p256-ocsp-1", false),
        ("p256-timestamping-1", false),
        ("p256-issuing-2", true),
        ("p256-ocsp-2", true),
        ("p256-timestamping-2", true),
        ("p256-evidence-1", false),
        ("p256-evidence-2", true),
        ("sm2-issuing-1", true),
    ] {
        assert_eq!(rotated[id]["active"].as_bool(), Some(active), "{id}");
    }
    assert_eq!(rotated["p256-issuing-2"]["parent"], "p256-root-1");
    assert_eq!(rotated["p256-ocsp-2"]["parent"], "p256-issuing-2");

    let s = Server::start(yinxin().args(["serve", "--data-dir"]).arg(&data));
    // chain.pem has the new issuing CA, under the same root, and OpenSSL checks it there.
    let (new_issuing, new_root, new_chain) = save_chain(&s, "p256", dir, "new");
    assert_eq!(
        std::fs::read(&new_root).unwrap(),
        std::fs::read(&old_root).unwrap()
    );
    assert_ne!(
        std::fs::read(&new_issuing).unwrap(),
        std::fs::read(&old_issuing).unwrap()
    );
    let fp = openssl(&[
        "x509",
        "-noout",
        "-fingerprint",
        "-sha256",
        "-in",
        new_issuing.to_str().unwrap(),
    ]);
    assert!(
        fp.to_lowercase().replace(':', "").contains(
            rotated["p256-issuing-2"]["sha256_fingerprint"]
                .as_str()
                .unwrap()
        ),
        "{fp}"
    );
    let out = openssl(&[
        "verify",
        "-CAfile",
        new_root.to_str().unwrap(),
        new_issuing.to_str().unwrap(),
    ]);
    assert!(out.contains(": OK"), "{out}");
    // The old CA's CRL is still served, signed by it, listing the revocation.
    for (id, chain) in [
        ("p256-issuing-1", &old_chain),
        ("p256-issuing-2", &new_chain),
    ] {
        let (st, der) = get_bytes(&s, &format!("/pki/crl/{id}.crl"), None);
        assert_eq!(st, 200, "{id}");
        let crl = dir.join(format!("{id}.crl"));
        std::fs::write(&crl, der).unwrap();
        let text = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            crl.to_str().unwrap(),
            "-CAfile",
            chain.to_str().unwrap(),
            "-noout",
            "-text",
        ]);
        assert!(text.contains("verify OK"), "{id}: {text}");
        assert_eq!(
            text.contains(&serial.to_uppercase()),
            id == "p256-issuing-1",
            "{id}: {text}"
        );
    }
    // Its OCSP answers go on, and new certificates come from the new CA.
    let status = ocsp(&s, &old_issuing, &old_chain, &leaf);
    assert!(
        status.contains("Response verify OK") && status.contains(": revoked"),
        "{status}"
    );
    let (_, issuer, leaf2) = issue(&s, &token, "p256", dir, "leaf2");
    assert_eq!(issuer, "p256-issuing-2");
    let status = ocsp(&s, &new_issuing, &new_chain, &leaf2);
    assert!(
        status.contains("Response verify OK") && status.contains(": good"),
        "{status}"
    );
    assert!(s.stop().success());
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP exchange: the status and the body as JSON (a JSON string if it is not JSON). An
/// `Err` is no answer at all (connection refused or cut).
async fn exchange(
    http: &::reqwest::Client,
    method: ::reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), ::reqwest::Error> {
    let mut rq = http.request(method, url);
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    if let Some(b) = body {
        rq = rq.json(b);
    }
    let r = rq.send().await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// `count` PEM requests, each with its own key on `curve` (`P-256` or `SM2`), made by `openssl`.
fn openssl_csrs(dir: &Path, curve: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let key = dir.join(format!("{curve}-{i}.key"));
            let csr = dir.join(format!("{curve}-{i}.csr"));
            let o = run(Command::new("openssl")
                .args(["genpkey", "-algorithm", "EC", "-pkeyopt"])
                .arg(format!("ec_paramgen_curve:{curve}"))
                .arg("-out")
                .arg(&key));
            assert!(o.status.success(), "{o:?}");
            let mut req = Command::new("openssl");
            req.args(["req", "-new", "-subj", "/CN=Ignored"])
                .arg("-key")
                .arg(&key)
                .arg("-out")
                .arg(&csr);
            if curve == "SM2" {
                req.args(["-sm3", "-sigopt", "distid:1234567812345678"]);
            }
            let o = run(&mut req);
            assert!(o.status.success(), "{o:?}");
            std::fs::read_to_string(csr).unwrap()
        })
        .collect()
}

/// SHA-256 of the DER inside a `CERTIFICATE` PEM, lower-case hex.
fn pem_fingerprint(pem: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap_or_else(|e| panic!("certificate PEM does not decode ({e}):\n{pem}"));
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----\n") && der.first() == Some(&0x30),
        "not a certificate PEM:\n{pem}"
    );
    sha2::Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A certificate a client was told was issued: a complete 201 response.
struct Acknowledged {
    account: usize,
    serial: String,
    fingerprint: String,
    pem: String,
}

/// CERT-1, issue 5's crash test: SIGKILL in the middle of 1,000 concurrent issuances (64 in
/// flight, P-256 and SM2 hierarchies mixed, ten verified holders) loses nothing. After a restart
/// on the same data: every certificate a client got a 201 for is there with the same bytes, no
/// serial exists twice, no record lacks its certificate, nothing was recorded that was never
/// asked for, and the CA issues again.
#[test]
fn killing_the_server_mid_issuance_loses_no_acknowledged_certificate() {
    use std::os::unix::process::ExitStatusExt;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use std::sync::{Arc, Mutex};

    const ACCOUNTS: usize = 10;
    const ISSUANCES: usize = 1000;
    const IN_FLIGHT: usize = 64;
    const KILL_AFTER: usize = 200;
    const KEYS_PER_CURVE: usize = 8;
    const PASSWORD: &str = "correct horse 42";

    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // All load comes from one address; password hashing is made cheap (no password is checked on
    // the issuance path).
    let serve = |sim_port: u16| {
        let mut c = yinxin();
        c.env("YINXIN_REGISTRATIONS_PER_ADDRESS_PER_HOUR", "1000000")
            .env("YINXIN_LOGINS_PER_ADDRESS_PER_MINUTE", "1000000")
            .env("YINXIN_CERTIFICATE_QUERIES_PER_MINUTE", "1000000")
            .env("YINXIN_ARGON2_MEMORY_KIB", "1024")
            .env("YINXIN_ARGON2_ITERATIONS", "1")
            .env(
                "YINXIN_AUTHORITY_SIM_LISTEN",
                format!("127.0.0.1:{sim_port}"),
            )
            .args(["serve", "--with-simulator", "--data-dir"])
            .arg(&data);
        Server::start(&mut c)
    };
    let csrs = [
        ("p256", openssl_csrs(tmp.path(), "P-256", KEYS_PER_CURVE)),
        ("sm2", openssl_csrs(tmp.path(), "SM2", KEYS_PER_CURVE)),
    ];

    let sim_port = free_port();
    let mut server = serve(sim_port);
    let base = server.base.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let http = ::reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    use ::reqwest::Method;

    // Ten accounts of one clean person of the simulator's dataset, each verified by carrier.
    let (tokens, chain_before) = rt.block_on(async {
        let (s, f) = exchange(
            &http,
            Method::GET,
            format!("http://127.0.0.1:{sim_port}/_fixtures"),
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(s, 200, "{f}");
        let p = f["persons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p.get("note").is_none() && p["expected"]["carrier"] == "match")
            .expect("a clean person in /_fixtures")
            .clone();
        let (s, policy) = exchange(
            &http,
            Method::GET,
            format!("{base}/api/v1/policies/current"),
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(s, 200, "{policy}");
        let version = policy["version"].clone();
        let mut tokens = Vec::new();
        for i in 0..ACCOUNTS {
            let user = format!("holder{i}");
            let post = |path: &str, token: Option<String>, body: Value| {
                let (http, url) = (http.clone(), format!("{base}{path}"));
                async move {
                    exchange(&http, Method::POST, url, token.as_deref(), Some(&body))
                        .await
                        .unwrap()
                }
            };
            let (s, v) = post(
                "/api/v1/accounts/personal",
                None,
                serde_json::json!({
                    "username": user, "password": PASSWORD, "name": p["name"],
                    "country_region": "CN", "document_type": "resident_id_card",
                    "document_number": p["id_number"], "mobile": p["mobile"],
                    "email": format!("{user}@example.cn"), "accept_policy_version": version,
                    "consents": ["sensitive_personal_information"],
                }),
            )
            .await;
            assert_eq!(s, 201, "{v}");
            let (s, v) = post(
                "/api/v1/sessions",
                None,
                serde_json::json!({"method": "password", "username": user, "password": PASSWORD}),
            )
            .await;
            assert_eq!(s, 201, "{v}");
            let token = v["token"].as_str().unwrap().to_owned();
            let (s, v) = post(
                "/api/v1/consents",
                Some(token.clone()),
                serde_json::json!({"scope": "idv_carrier", "action": "given", "policy_version": version}),
            )
            .await;
            assert_eq!(s, 201, "{v}");
            let (s, v) = post(
                "/api/v1/verifications",
                Some(token.clone()),
                serde_json::json!({"method": "carrier", "name": p["name"],
                    "document_number": p["id_number"], "mobile": p["mobile"]}),
            )
            .await;
            assert_eq!(
                (s, v["record"]["outcome"].as_str()),
                (201, Some("match")),
                "{v}"
            );
            tokens.push(token);
        }
        let (s, chain) = exchange(
            &http,
            Method::GET,
            format!("{base}/pki/chain.pem?alg=p256"),
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(s, 200, "{chain}");
        (tokens, chain)
    });
    let setup = started.elapsed();

    // The storm: every request is valid, so every answer must be a 201; no answer at all is an
    // unacknowledged request (the kill cut it or it came after).
    let acks: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let refusals: Arc<Mutex<Vec<(u16, Value)>>> = Arc::default();
    let sent = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let enough = Arc::new(tokio::sync::Notify::new());
    let storm = Instant::now();
    let (sent_at_kill, acked_at_kill, mut tasks) = rt.block_on(async {
        let gate = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..ISSUANCES {
            let (alg, keys) = &csrs[i % 2];
            let body = serde_json::json!({
                "csr": keys[(i / 2) % KEYS_PER_CURVE],
                "profile": "personal_signing",
                "algorithm": alg,
            });
            let account = i % ACCOUNTS;
            let token = tokens[account].clone();
            let (http, url) = (http.clone(), format!("{base}/api/v1/certificates"));
            let (gate, sent, killed) = (gate.clone(), sent.clone(), killed.clone());
            let (acks, refusals, enough) = (acks.clone(), refusals.clone(), enough.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                if killed.load(SeqCst) {
                    return;
                }
                sent.fetch_add(1, SeqCst);
                match exchange(&http, Method::POST, url, Some(&token), Some(&body)).await {
                    Ok((201, v)) => {
                        let mut acks = acks.lock().unwrap();
                        acks.push(Acknowledged {
                            account,
                            serial: v["serial"].as_str().unwrap().to_owned(),
                            fingerprint: v["fingerprint_sha256"].as_str().unwrap().to_owned(),
                            pem: v["certificate_pem"].as_str().unwrap().to_owned(),
                        });
                        if acks.len() >= KILL_AFTER {
                            enough.notify_one();
                        }
                    }
                    Ok(answer) => refusals.lock().unwrap().push(answer),
                    Err(_) => {}
                }
            });
        }
        tokio::time::timeout(Duration::from_secs(120), enough.notified())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{KILL_AFTER} issuances not acknowledged within 120 s; refusals: {:?}",
                    refusals.lock().unwrap().first()
                )
            });
        server.child.kill().unwrap();
        killed.store(true, SeqCst);
        let at_kill = (sent.load(SeqCst), acks.lock().unwrap().len());
        (at_kill.0, at_kill.1, tasks)
    });
    let to_kill = storm.elapsed();
    let status = server.child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");
    rt.block_on(async {
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
    });
    drop(server);
    let refusals = std::mem::take(&mut *refusals.lock().unwrap());
    assert!(
        refusals.is_empty(),
        "{} valid issuance requests were answered with something other than 201 before the \
         kill, e.g. {:?}",
        refusals.len(),
        refusals.first()
    );
    let acks = std::mem::take(&mut *acks.lock().unwrap());
    let sent = sent.load(SeqCst);
    assert!(acks.len() >= KILL_AFTER && sent <= ISSUANCES);
    assert!(
        sent > acks.len() && sent < ISSUANCES,
        "the kill came in the middle: {sent} sent, {} acknowledged",
        acks.len()
    );
    // No serial or certificate was handed out twice, even before the kill.
    let acked: BTreeMap<&str, &Acknowledged> =
        acks.iter().map(|a| (a.serial.as_str(), a)).collect();
    assert_eq!(acked.len(), acks.len(), "a serial was acknowledged twice");
    for a in &acks {
        assert_eq!(pem_fingerprint(&a.pem), a.fingerprint, "{}", a.serial);
    }

    // Restart on the same data (a new simulator port: the old one's socket may linger).
    let server = serve(free_port());
    let base = server.base.clone();
    rt.block_on(async {
        let mut listed: BTreeMap<String, (usize, Value)> = BTreeMap::new();
        let mut fresh_tokens = Vec::new();
        for (i, _) in tokens.iter().enumerate() {
            let (s, v) = exchange(
                &http,
                Method::POST,
                format!("{base}/api/v1/sessions"),
                None,
                Some(&serde_json::json!({"method": "password",
                    "username": format!("holder{i}"), "password": PASSWORD})),
            )
            .await
            .unwrap();
            assert_eq!(s, 201, "{v}");
            let token = v["token"].as_str().unwrap().to_owned();
            let (s, v) = exchange(
                &http,
                Method::GET,
                format!("{base}/api/v1/me/certificates"),
                Some(&token),
                None,
            )
            .await
            .unwrap();
            assert_eq!(s, 200, "{v}");
            for c in v.as_array().unwrap() {
                let serial = c["serial"].as_str().unwrap().to_owned();
                // No record without its certificate: the holder's view carries the PEM, and it is
                // the certificate the record's fingerprint names.
                let pem = c["certificate_pem"]
                    .as_str()
                    .unwrap_or_else(|| panic!("record {serial} has no certificate: {c}"));
                assert_eq!(
                    pem_fingerprint(pem),
                    c["fingerprint_sha256"].as_str().unwrap(),
                    "record {serial}"
                );
                assert_eq!(c["status"], "good", "{c}");
                let again = listed.insert(serial.clone(), (i, c.clone()));
                assert!(again.is_none(), "serial {serial} is recorded twice");
            }
            fresh_tokens.push(token);
        }
        assert!(
            listed.len() >= acks.len() && listed.len() <= sent,
            "{} certificates recorded; {} acknowledged, {sent} requests sent",
            listed.len(),
            acks.len()
        );
        // Every acknowledged certificate is there, with its holder, byte for byte.
        for a in &acks {
            let (holder, c) = listed
                .get(&a.serial)
                .unwrap_or_else(|| panic!("acknowledged certificate {} is missing", a.serial));
            assert_eq!(*holder, a.account, "{}", a.serial);
            assert_eq!(c["certificate_pem"].as_str(), Some(a.pem.as_str()));
            assert_eq!(c["fingerprint_sha256"].as_str(), Some(a.fingerprint.as_str()));
        }
        // And the public query (CERT-5) finds each by serial.
        let mut queries = tokio::task::JoinSet::new();
        for a in &acks {
            let (http, url) = (http.clone(), format!("{base}/api/v1/certificates/{}", a.serial));
            let (serial, fp) = (a.serial.clone(), a.fingerprint.clone());
            queries.spawn(async move {
                let (s, v) = exchange(&http, Method::GET, url, None, None).await.unwrap();
                assert_eq!(s, 200, "{serial}: {v}");
                assert_eq!(v["serial"].as_str(), Some(serial.as_str()));
                assert_eq!(v["fingerprint_sha256"].as_str(), Some(fp.as_str()));
                assert_eq!(v["status"], "good");
                assert!(v.get("certificate_pem").is_none(), "{v}");
            });
            if queries.len() >= IN_FLIGHT {
                queries.join_next().await.unwrap().unwrap();
            }
        }
        while let Some(r) = queries.join_next().await {
            r.unwrap();
        }

        // The same hierarchy, and an acknowledged P-256 certificate verifies against it.
        let (s, chain) = exchange(
            &http,
            Method::GET,
            format!("{base}/pki/chain.pem?alg=p256"),
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(s, 200);
        assert_eq!(chain, chain_before, "the P-256 hierarchy changed");
        let p256 = acks
            .iter()
            .find(|a| listed[&a.serial].1["issuer"] == "p256-issuing-1")
            .expect("an acknowledged P-256 certificate");
        let (chain_file, cert_file) = (tmp.path().join("chain.pem"), tmp.path().join("leaf.pem"));
        std::fs::write(&chain_file, chain.as_str().unwrap()).unwrap();
        std::fs::write(&cert_file, &p256.pem).unwrap();
        let o = run(Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(&chain_file)
            .arg(&cert_file));
        assert!(
            o.status.success() && String::from_utf8_lossy(&o.stdout).trim_end().ends_with(": OK"),
            "{o:?}"
        );

        // The restarted CA issues again, a serial never seen before.
        let (s, v) = exchange(
            &http,
            Method::POST,
            format!("{base}/api/v1/certificates"),
            Some(&fresh_tokens[0]),
            Some(&serde_json::json!({"csr": csrs[0].1[0], "profile": "personal_signing",
                "algorithm": "p256"})),
        )
        .await
        .unwrap();
        assert_eq!(s, 201, "{v}");
        assert!(!listed.contains_key(v["serial"].as_str().unwrap()), "{v}");
        eprintln!(
            "setup {setup:?}; {KILL_AFTER} acknowledged after {to_kill:?}; at the kill {sent_at_kill} \
             sent, {acked_at_kill} acknowledged; in the end {sent} sent, {} acknowledged, {} \
             recorded; total {:?}",
            acks.len(),
            listed.len(),
            started.elapsed()
        );
    });
    assert!(server.stop().success());
}

/// `yinxin ca` refusals: each names what is wrong, exits non-zero, and writes nothing — argument
/// errors before anything is opened, the rest with the data unchanged.
#[test]
fn ca_commands_refuse_bad_arguments_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    for (args, want) in [
        (
            &["add", "--algorithm", "p385"][..],
            "--algorithm: \"p385\" is not a key algorithm; one of sm2, p256, p384",
        ),
        (
            &["rotate", "--algorithm", "RSA"][..],
            "--algorithm: \"RSA\"",
        ),
        (
            &[
                "revoke",
                "01ab",
                "--reason",
                "compromised",
                "--operator",
                "ops",
            ][..],
            "--reason: \"compromised\" is not a revocation reason; one of unspecified, key_compromise, ca_compromise",
        ),
        (
            &[
                "revoke",
                "01ab",
                "--reason",
                "remove_from_crl",
                "--operator",
                "ops",
            ][..],
            "--reason",
        ),
        (
            &[
                "revoke",
                "01ab",
                "--reason",
                "superseded",
                "--operator",
                "a b",
            ][..],
            "--operator: is 1 to 64",
        ),
        (
            &["revoke", "01ab", "--reason", "superseded", "--operator", ""][..],
            "--operator",
        ),
        (
            &[
                "revoke",
                "xyz",
                "--reason",
                "superseded",
                "--operator",
                "ops",
            ][..],
            "SERIAL: is 1 to 40 hexadecimal digits",
        ),
    ] {
        let (code, _, err) = ca(&data, args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!data.exists(), "{args:?} created the data directory");
    }
    let long = "o".repeat(65);
    let (code, _, err) = ca(
        &data,
        &[
            "revoke",
            "01",
            "--reason",
            "superseded",
            "--operator",
            &long,
        ],
    );
    assert_eq!((code, err.contains("--operator")), (1, true), "{err}");

    assert_eq!(cas(&data).len(), 10);
    let before = snapshot(&data);
    for (args, want) in [
        (
            &[
                "revoke",
                "0123456789abcdef",
                "--reason",
                "superseded",
                "--operator",
                "ops",
            ][..],
            "no certificate 0123456789abcdef",
        ),
        (
            &["rotate", "--algorithm", "ed25519"][..],
            "ed25519 has no active hierarchy",
        ),
        (
            &["add", "--algorithm", "sm2"][..],
            "sm2 already has an active hierarchy",
        ),
    ] {
        let (code, _, err) = ca(&data, args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(snapshot(&data), before, "{args:?} wrote something");
    }
}

/// `yinxin register-app` (CERT-6): the API key is printed once and stored nowhere; refusals name
/// what is wrong and register nothing.
#[test]
fn registering_a_relying_application_prints_its_key_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let register = |id: &str, item: &str| {
        run(yinxin()
            .args(["register-app", "--data-dir"])
            .arg(&data)
            .args([
                "--id",
                id,
                "--name",
                "网店",
                "--legal-name",
                "某某科技有限公司",
            ])
            .args(["--contact", "privacy@shop.example", "--data-item", item]))
    };
    let o = register("shop", "person.name");
    assert!(o.status.success(), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    let key = out.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("yxapp_") && key.len() > 40, "{out}");
    // Not in the database in any form a search would find.
    for entry in std::fs::read_dir(&data).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "the key is stored in {:?}",
            entry.path()
        );
    }
    for (id, item, want) in [
        ("shop", "person.name", "already registered"),
        ("bank", "person.mobile", "data_items"),
        ("No Such", "person.name", "id"),
    ] {
        let o = register(id, item);
        assert!(!o.status.success(), "{id}: {o:?}");
        let line = stderr_line(&o);
        assert!(line.contains(want), "{id}: {line}");
    }
}

/// A root and a P-256 signer certificate under it, made in-process: (root DER, signer key,
/// signer DER).
fn offline_pki() -> (Vec<u8>, yinxin_crypto::software::SoftwareKey, Vec<u8>) {
    use std::time::SystemTime;
    use yinxin_crypto::{KeyAlgorithm, Signer, software::SoftwareKey};
    use yinxin_pki::cert::{CertificateSpec, Issuer, issue, random_serial};
    use yinxin_pki::name::NameBuilder;
    use yinxin_pki::profile::{Profile, ProfileKind};
    let name = |cn: &str| {
        NameBuilder::new()
            .country("CN")
            .common_name(cn)
            .build()
            .unwrap()
    };
    let make = |kind, cn: &str, key: &SoftwareKey, issuer: Option<Issuer<'_>>| {
        let profile = Profile::builtin(kind);
        issue(
            &CertificateSpec {
                profile: &profile,
                subject: name(cn),
                subject_public_key: key.public_key_der(),
                not_before: SystemTime::now() - Duration::from_secs(60),
                validity: profile.default_validity,
                extra_extensions: Vec::new(),
            },
            issuer.as_ref(),
            Some(key),
            random_serial().unwrap(),
        )
        .unwrap()
        .1
    };
    let root_key = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let root = make(ProfileKind::RootCa, "Offline Root", &root_key, None);
    let key = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let leaf = make(
        ProfileKind::PersonalSigning,
        "Offline Signer",
        &key,
        Some(Issuer {
            name: name("Offline Root"),
            signer: &root_key,
            urls: None,
        }),
    );
    (root, key, leaf)
}

/// Issue 6 item 7: `yinxin verify pdf` and `yinxin verify cms` offline — valid only under the
/// root given with `--trust`, a changed byte is not intact, `--json` is the API's document, and
/// what is not a PDF is an error naming the file. Exit status 0 only when valid.
#[test]
fn verify_pdf_and_cms_offline() {
    use std::time::SystemTime;
    use yinxin_sign::{cades, pades};
    let dir = tempfile::tempdir().unwrap();
    let (root, key, leaf) = offline_pki();
    let root_pem = dir.path().join("root.pem");
    std::fs::write(&root_pem, yinxin_pki::pem(&root, "CERTIFICATE")).unwrap();
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n";
    let mut doc = pdf.to_vec();
    let xref = doc.len();
    let offsets: Vec<usize> = [b"1 0 obj", b"2 0 obj", b"3 0 obj"]
        .iter()
        .map(|m| doc.windows(7).position(|w| w == *m).unwrap())
        .collect();
    doc.extend_from_slice(b"xref\n0 4\n0000000000 65535 f\r\n");
    for o in offsets {
        doc.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    doc.extend_from_slice(
        format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    let request = pades::Request {
        field_name: "Signature1".into(),
        page: 1,
        rect: [0.0; 4],
        appearance: pades::Appearance::Invisible,
        signing_time: SystemTime::now(),
        reason: None,
        location: None,
        name: None,
        signer_certificate_der: &leaf,
        chain: &[],
        contents_capacity: None,
    };
    let signed = pades::sign(&doc, &request, &key, None).unwrap();
    let signed_pdf = dir.path().join("signed.pdf");
    std::fs::write(&signed_pdf, &signed).unwrap();
    let p = |x: &Path| x.to_str().unwrap().to_owned();

    let o = run(yinxin().args(["verify", "pdf", &p(&signed_pdf), "--trust", &p(&root_pem)]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", stderr_line(&o));
    assert!(
        out.contains("intact:        yes") && out.contains("B-B"),
        "{out}"
    );
    assert!(
        out.contains("CN=Offline Root,C=CN (trusted: yes)") && out.ends_with("valid: yes\n"),
        "{out}"
    );

    let o = run(yinxin().args([
        "verify",
        "pdf",
        &p(&signed_pdf),
        "--json",
        "--trust",
        &p(&root_pem),
    ]));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (
            v["valid"].as_bool(),
            v["signatures"][0]["revocation"]["status"].as_str()
        ),
        (Some(true), Some("unknown")),
        "{v}"
    );

    // No trusted root given: intact, but not valid (exit status 1).
    let o = run(yinxin().args(["verify", "pdf", &p(&signed_pdf)]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("intact:        yes") && out.contains("valid: NO"),
        "{out}"
    );
    assert!(stderr_line(&o).contains("not valid"), "{}", stderr_line(&o));

    // A signed byte changed.
    let mut tampered = signed.clone();
    let at = tampered.windows(7).position(|w| w == b"/Count ").unwrap() + 7;
    tampered[at] = b'2';
    let bad = dir.path().join("tampered.pdf");
    std::fs::write(&bad, &tampered).unwrap();
    let o = run(yinxin().args(["verify", "pdf", &p(&bad), "--trust", &p(&root_pem)]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("intact:        NO"), "{out}");

    // Not a PDF: an error naming the file, no report.
    let junk = dir.path().join("junk.pdf");
    std::fs::write(&junk, b"hello").unwrap();
    let o = run(yinxin().args(["verify", "pdf", &p(&junk)]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr_line(&o).contains("junk.pdf cannot be verified"),
        "{}",
        stderr_line(&o)
    );

    // CMS over a file, checked with the file and with its digest; another digest is not intact.
    let content = dir.path().join("contract.txt");
    std::fs::write(&content, b"the contract").unwrap();
    let cms = cades::sign(
        &cades::Request {
            input: cades::Input::Content(b"the contract"),
            signer_certificate_der: &leaf,
            chain: &[],
            signing_time: Some(SystemTime::now()),
        },
        &key,
        None,
    )
    .unwrap();
    let sig = dir.path().join("contract.p7s");
    std::fs::write(&sig, &cms).unwrap();
    let o = run(yinxin().args([
        "verify",
        "cms",
        &p(&sig),
        "--content",
        &p(&content),
        "--trust",
        &p(&root_pem),
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let digest = hex_of(&yinxin_pki::cms::DigestAlgorithm::Sha256.digest(b"the contract"));
    let o = run(yinxin().args([
        "verify",
        "cms",
        &p(&sig),
        "--digest",
        &digest,
        "--trust",
        &p(&root_pem),
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let o = run(yinxin().args([
        "verify",
        "cms",
        &p(&sig),
        "--digest",
        &"00".repeat(32),
        "--trust",
        &p(&root_pem),
    ]));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("intact:        NO"));
    // Neither --content nor --digest: refused by the argument parser (status 2).
    let o = run(yinxin().args(["verify", "cms", &p(&sig)]));
    assert_eq!(o.status.code(), Some(2));
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Issue 8 item 2: `yinxin open-export` opens a copy of one's data offline with the passphrase
/// (from a file or standard input), writes the PDF inside it with `--pdf`, and refuses a wrong
/// passphrase or a file that is not an export, exit 1.
#[test]
fn an_export_opens_offline_with_its_passphrase() {
    use base64::Engine;
    let tmp = tempfile::tempdir().unwrap();
    let f = |n: &str| tmp.path().join(n);
    let doc = serde_json::json!({
        "format": "yinxin-subject-data-v1",
        "fields": [{"field": "person.name", "value": "王小明"}],
        "report_pdf_base64": base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7 copy"),
    });
    let envelope =
        yinxin_identity::export::seal("correct horse battery staple", doc.to_string().as_bytes())
            .unwrap();
    std::fs::write(f("export.json"), serde_json::to_vec(&envelope).unwrap()).unwrap();
    std::fs::write(f("pass"), "correct horse battery staple\n").unwrap();
    let o = run(yinxin()
        .arg("open-export")
        .arg(f("export.json"))
        .arg("--passphrase-file")
        .arg(f("pass"))
        .arg("--pdf")
        .arg(f("copy.pdf")));
    assert!(o.status.success(), "{o:?}");
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["fields"][0]["value"], "王小明");
    assert!(
        out.get("report_pdf_base64").is_none(),
        "the PDF goes to its file"
    );
    assert_eq!(std::fs::read(f("copy.pdf")).unwrap(), b"%PDF-1.7 copy");
    // From standard input, and refusals.
    let mut child = yinxin()
        .arg("open-export")
        .arg(f("export.json"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"correct horse battery staple\n")
            .unwrap();
    }
    assert!(child.wait_with_output().unwrap().status.success());
    std::fs::write(f("wrong"), "wrong horse battery staple\n").unwrap();
    let o = run(yinxin()
        .arg("open-export")
        .arg(f("export.json"))
        .arg("--passphrase-file")
        .arg(f("wrong")));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("passphrase is wrong"),
        "{o:?}"
    );
    let o = run(yinxin()
        .arg("open-export")
        .arg(f("pass"))
        .arg("--passphrase-file")
        .arg(f("pass")));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a yinxin export"),
        "{o:?}"
    );
}

/// A self-signed certificate and its key by OpenSSL, for a successor provider: (cert, key).
fn successor(dir: &Path, name: &str, newkey: &[&str]) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    let mut args = vec!["req", "-x509", "-nodes", "-days", "30", "-subj"];
    args.push("/O=Successor CA Ltd/CN=handover");
    args.extend_from_slice(newkey);
    args.extend_from_slice(&[
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
    ]);
    let out = openssl(&args);
    assert!(cert.exists(), "{out}");
    (cert, key)
}

/// The log origin of the handover test's server and console (one configuration, as an
/// operator's would be: the origin otherwise follows the listen address).
const HANDOVER_ORIGIN: &str = "handover.test/log";

/// `yinxin admin handover` for the successor certificate `cert` into `out`: (exit code, stdout,
/// stderr).
fn handover(data: &Path, cert: &str, out: &str) -> (i32, String, String) {
    let o = run(yinxin()
        .env("YINXIN_LOG_ORIGIN", HANDOVER_ORIGIN)
        .args([
            "admin",
            "handover",
            "--operator",
            "ops@ca.example",
            "--data-dir",
        ])
        .arg(data)
        .args(["--successor-certificate", cert, "--out", out]));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Issue 8 item 12 (CERT-8; ESL arts. 23–24): `yinxin admin handover` is refused before the
/// closing mode and for a successor certificate no CMS tool can envelope to, writing nothing;
/// in the closing mode it writes an archive that OpenSSL opens with the successor's key (RSA
/// and P-256) and verifies against the service's root. The archive holds the holder's kept
/// identity, verification and certificate (the very DER issued), each issuing CA's CRL, and the
/// evidence log whose leaves give the root its signed checkpoint says — and not the mobile or
/// e-mail. Each archive is recorded in the plan, with its digest.
#[test]
fn handing_over_the_certification_records() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let tmp = tempfile::tempdir().unwrap();
    let (data, dir) = (tmp.path().join("d"), tmp.path());
    let port = free_port();
    let s = Server::start(
        yinxin()
            .env("YINXIN_AUTHORITY_SIM_LISTEN", format!("127.0.0.1:{port}"))
            .env("YINXIN_LOG_ORIGIN", HANDOVER_ORIGIN)
            .args(["serve", "--with-simulator", "--data-dir"])
            .arg(&data),
    );
    let token = verified_person(&s, port);
    let (serial, _, leaf) = issue(&s, &token, "p256", dir, "leaf");
    let (_, root, _) = save_chain(&s, "p256", dir, "p256");
    let p = matching_person(port);
    let (_, me) = call(&s, "GET", "/api/v1/me", Some(&token), None);
    let (rsa_cert, rsa_key) = successor(dir, "succ-rsa", &["-newkey", "rsa:2048"]);
    let (ec_cert, ec_key) = successor(
        dir,
        "succ-ec",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    // Keys of the same kinds that the archives are not for.
    let (_, rsa_other) = successor(dir, "other-rsa", &["-newkey", "rsa:2048"]);
    let (_, ec_other) = successor(
        dir,
        "other-ec",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let (p384_cert, _) = successor(
        dir,
        "succ-p384",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    let out = dir.join("handover.p7m");
    let out_s = out.to_str().unwrap();

    // No plan yet: refused, nothing written.
    let (code, _, err) = handover(&data, rsa_cert.to_str().unwrap(), out_s);
    assert_eq!(code, 1);
    assert!(err.contains("no termination plan"), "{err}");
    assert!(!out.exists());

    // The plan, walked to its closing mode by a privacy officer.
    let o = run(yinxin()
        .args([
            "admin",
            "staff",
            "grant",
            "--username",
            "ca-holder",
            "--role",
        ])
        .args([
            "privacy_officer",
            "--operator",
            "ops@ca.example",
            "--data-dir",
        ])
        .arg(&data));
    assert!(o.status.success(), "{}", stderr_line(&o));
    let day = 86_400;
    let unix = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / day)
        + 120;
    let date = {
        // Civil date of a day count (H. Hinnant's algorithm).
        let z = unix as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!("{y:04}-{m:02}-{d:02}")
    };
    let (st, v) = call(
        &s,
        "PUT",
        "/api/v1/staff/termination",
        Some(&token),
        Some(&serde_json::json!({"terminates_on": date,
                                 "notice": "The service ends; Successor CA Ltd takes over."})),
    );
    assert_eq!(st, 200, "{v}");
    let plan_step = |step: &str| {
        let (st, v) = call(
            &s,
            "POST",
            &format!("/api/v1/staff/termination/{step}"),
            Some(&token),
            None,
        );
        assert!(st == 200 || st == 201, "{step}: {st} {v}");
    };
    plan_step("notify-subscribers");
    plan_step("regulator-report");
    let (code, _, err) = handover(&data, rsa_cert.to_str().unwrap(), out_s);
    assert_eq!(code, 1);
    assert!(err.contains("closing mode has not begun"), "{err}");
    plan_step("close");
    // The sequencer signs a checkpoint over what was logged so far (every 2 s at most).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, note) = s.get("/log/checkpoint");
        let size = note.lines().nth(1).and_then(|l| l.parse::<u64>().ok());
        if st == 200 && size.is_some_and(|n| n > 0) {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint: {st} {note}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Successor certificates nothing can envelope to, or no certificate: refused, naming it.
    for (file, says) in [
        (p384_cert.clone(), "curve other than P-256"),
        (leaf.with_extension("key"), "no PEM CERTIFICATE"),
    ] {
        let (code, _, err) = handover(&data, file.to_str().unwrap(), out_s);
        assert_eq!(code, 1);
        assert!(
            err.contains("--successor-certificate") && err.contains(says),
            "{err}"
        );
        assert!(!out.exists());
    }
    let o = run(yinxin()
        .args(["admin", "handover", "--operator", "no spaces", "--data-dir"])
        .arg(&data)
        .args([
            "--successor-certificate",
            rsa_cert.to_str().unwrap(),
            "--out",
            out_s,
        ]));
    assert!(!o.status.success() && stderr_line(&o).contains("--operator"));

    // The archive, for an RSA and for a P-256 successor.
    let mut digests = Vec::new();
    for (name, cert, key, other) in [
        ("rsa", &rsa_cert, &rsa_key, &rsa_other),
        ("ec", &ec_cert, &ec_key, &ec_other),
    ] {
        let archive = dir.join(format!("handover-{name}.p7m"));
        let (code, stdout, err) =
            handover(&data, cert.to_str().unwrap(), archive.to_str().unwrap());
        assert_eq!(code, 0, "{err}");
        assert!(stdout.contains("1 holders, 1 certificates"), "{stdout}");
        // Never overwritten.
        let (code, _, err) = handover(&data, cert.to_str().unwrap(), archive.to_str().unwrap());
        assert_eq!(code, 1);
        assert!(
            err.contains("--out") && err.contains("exists already"),
            "{err}"
        );
        let bytes = std::fs::read(&archive).unwrap();
        digests.push(hex_of(&<sha2::Sha256 as sha2::Digest>::digest(&bytes)));
        let signed = dir.join(format!("signed-{name}.der"));
        let o = cms_decrypt(&archive, Some(cert), key, &signed);
        assert!(signed.exists(), "{name}: {o}");
        // Another key of the same kind opens nothing.
        let wrong = dir.join(format!("wrong-{name}.der"));
        cms_decrypt(&archive, None, other, &wrong);
        assert!(std::fs::read(&wrong).map_or(true, |w| w != std::fs::read(&signed).unwrap()));
        let json_file = dir.join(format!("handover-{name}.json"));
        let o = openssl(&[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            signed.to_str().unwrap(),
            "-CAfile",
            root.to_str().unwrap(),
            "-purpose",
            "any",
            "-out",
            json_file.to_str().unwrap(),
        ]);
        assert!(o.contains("Verification successful"), "{name}: {o}");
        let text = std::fs::read_to_string(&json_file).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["type"], "yinxin.handover.v1");
        assert_eq!(
            doc["successor"]["subject"],
            "CN=handover,O=Successor CA Ltd"
        );

        // The holder, with what the law keeps and nothing more.
        let holders = doc["holders"].as_array().unwrap();
        assert_eq!(holders.len(), 1);
        let h = &holders[0];
        assert_eq!(h["account"], me["account_id"]);
        assert_eq!(h["identity"]["person.name"], p["name"], "{h}");
        assert_eq!(
            h["identity"]["person.document_number"], p["id_number"],
            "{h}"
        );
        assert_eq!(
            h["identity"]["person.document_type"], "resident_id_card",
            "{h}"
        );
        assert_eq!(h["verifications"][0]["outcome"], "match", "{h}");
        let c = &h["certificates"][0];
        assert_eq!(c["serial"], Value::from(serial.as_str()));
        let pem = std::fs::read_to_string(&leaf).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(c["certificate"].as_str().unwrap(), body);
        for absent in [p["mobile"].as_str().unwrap(), "ca-holder@example.cn"] {
            assert!(!text.contains(absent), "the archive holds {absent}");
        }

        // The CRLs are CRLs.
        for crl in doc["crls"].as_array().unwrap() {
            let f = dir.join("crl.der");
            std::fs::write(&f, b64.decode(crl["crl"].as_str().unwrap()).unwrap()).unwrap();
            let o = openssl(&[
                "crl",
                "-inform",
                "DER",
                "-in",
                f.to_str().unwrap(),
                "-noout",
                "-issuer",
            ]);
            assert!(o.contains("issuer="), "{o}");
        }
        // The evidence log: the leaves make the root its signed checkpoint names.
        let log = &doc["evidence_log"];
        let verifier =
            yinxin_ledger::note::NoteVerifier::parse(log["vkey"].as_str().unwrap()).unwrap();
        let checkpoint = verifier.open(log["checkpoint"].as_str().unwrap()).unwrap();
        let leaves = log["leaves"].as_array().unwrap();
        assert!(checkpoint.size > 0);
        assert_eq!(leaves.len() as u64, checkpoint.size);
        let mut tree = yinxin_ledger::tree::Frontier::empty();
        for l in leaves {
            let data = b64.decode(l.as_str().unwrap()).unwrap();
            tree.push(yinxin_ledger::tree::leaf_hash(&data), |_, _| {});
        }
        assert_eq!(tree.root(), checkpoint.root);
    }

    // Both are recorded, with the digests of the files written.
    let (st, v) = call(&s, "GET", "/api/v1/staff/termination", Some(&token), None);
    assert_eq!(st, 200, "{v}");
    let mut recorded: Vec<&str> = v["handovers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["archive_sha256"].as_str().unwrap())
        .collect();
    recorded.sort_unstable();
    digests.sort();
    assert_eq!(
        recorded,
        digests.iter().map(String::as_str).collect::<Vec<_>>()
    );
    // Each is in the evidence log: a disclosure entry whose commitment opens, with the salt the
    // staff route gives, to the handover's record exactly as the plan lists it.
    for h in v["handovers"].as_array().unwrap() {
        let path = format!(
            "/api/v1/staff/termination/handovers/{}/evidence",
            h["id"].as_str().unwrap()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let evidence = loop {
            let (st, e) = call(&s, "GET", &path, Some(&token), None);
            if st == 200 {
                break e;
            }
            assert!(Instant::now() < deadline, "{st} {e}");
            std::thread::sleep(Duration::from_millis(200));
        };
        let (bundle, proof) =
            yinxin_ledger::bundle::Bundle::parse(&serde_json::to_vec(&evidence["bundle"]).unwrap())
                .unwrap();
        let verifier = yinxin_ledger::note::NoteVerifier::parse(&bundle.log_key).unwrap();
        let report = proof.verify(&verifier).unwrap();
        let yinxin_ledger::entry::EntryBody::Disclosure { disclosure } = report.entry.body else {
            panic!("not a disclosure entry: {:?}", report.entry);
        };
        let record = yinxin_domain::termination::Handover {
            id: h["id"].as_str().unwrap().into(),
            made_at: h["made_at"].as_i64().unwrap(),
            operator: h["operator"].as_str().unwrap().into(),
            successor_subject: h["successor_subject"].as_str().unwrap().into(),
            successor_fingerprint: h["successor_fingerprint"].as_str().unwrap().into(),
            archive_sha256: h["archive_sha256"].as_str().unwrap().into(),
            holders: h["holders"].as_u64().unwrap(),
            certificates: h["certificates"].as_u64().unwrap(),
        };
        let hex = evidence["salt"].as_str().unwrap();
        let salt: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let salt = yinxin_ledger::entry::Salt(salt.try_into().unwrap());
        assert!(disclosure.opens_to(&salt.part(1), &serde_json::to_vec(&record).unwrap()));
        assert_eq!(record.operator, "ops@ca.example");
    }
    terminate(&s.child);
}
