//! `yinxin verify pdf FILE` and `yinxin verify cms SIGNATURE` (issue 6 item 7): the reports of
//! `POST /api/v1/verify/*`, offline. `yinxin verify proof BUNDLE --key VKEY` (issue 7 item 3)
//! checks an evidence log proof bundle offline against the log key the relying party trusts;
//! `yinxin verify report REPORT.pdf --key VKEY` an evidence report (its signature and every
//! bundle attached, issue 7 item 4). Trusted roots are the ones given with `--trust` (a PEM file
//! of certificates, e.g. the service's `/pki/chain.pem`; repeatable; intermediates may be in it
//! too); without one, no chain is trusted. Revocation offline comes from the OCSP responses and
//! CRLs a PDF carries in its /DSS (B-LT and up), each checked to be signed by the issuing CA or
//! its certified responder; otherwise it is `unknown` (a certificate's current status is what
//! `/pki/ocsp` answers).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use yinxin_server::verify::{
    Signed, Trust, VerificationReport, cms_report, finish, pdf_report, pem_blocks,
};

/// What to verify.
#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Every signature and document timestamp of a PDF.
    Pdf {
        /// The PDF.
        file: PathBuf,
        /// A PEM file of trusted certificates (roots; intermediates may be in it too).
        #[arg(long, value_name = "PEM")]
        trust: Vec<PathBuf>,
        /// Print the report as JSON (the API's document).
        #[arg(long)]
        json: bool,
    },
    /// A detached CMS signature (DER or PEM) over a file or a digest.
    Cms {
        /// The signature.
        signature: PathBuf,
        /// The signed file.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "digest",
            required_unless_present = "digest"
        )]
        content: Option<PathBuf>,
        /// The signed file's digest with the signer's algorithm, hex.
        #[arg(long, value_name = "HEX")]
        digest: Option<String>,
        /// A PEM file of trusted certificates (roots; intermediates may be in it too).
        #[arg(long, value_name = "PEM")]
        trust: Vec<PathBuf>,
        /// Print the report as JSON (the API's document).
        #[arg(long)]
        json: bool,
    },
    /// An evidence log proof bundle (GET /api/v1/log/bundle, or a record's /evidence), or a bare
    /// C2SP tlog-proof: the checkpoint's signature by the log key, the entry's inclusion, and
    /// every anchor's RFC 3161 receipt over that checkpoint.
    Proof {
        /// The bundle (JSON) or tlog-proof (text).
        file: PathBuf,
        /// The log's verifier key (C2SP vkey, as GET /log/key gives it), or a file holding it.
        #[arg(long, value_name = "VKEY")]
        key: String,
        /// A PEM file of certificates trusted for the anchors' TSAs (roots; intermediates may be
        /// in it too); without one, no anchor's TSA is trusted.
        #[arg(long, value_name = "PEM")]
        trust: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// An evidence report (出证报告, GET /api/v1/envelopes/{id}/evidence-report or
    /// /api/v1/certificates/{serial}/evidence-report): its signature and timestamps as `verify
    /// pdf` checks them, and every proof bundle attached to it as `verify proof` does, each
    /// listed in its evidence.json.
    Report {
        /// The report (PDF).
        file: PathBuf,
        /// The log's verifier key (C2SP vkey, as GET /log/key gives it), or a file holding it.
        #[arg(long, value_name = "VKEY")]
        key: String,
        /// A PEM file of trusted certificates (the service's roots, e.g. /pki/chain.pem).
        #[arg(long, value_name = "PEM")]
        trust: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Roots are the self-signed certificates given; the others are intermediates.
fn trust(files: &[PathBuf]) -> anyhow::Result<Trust> {
    let mut t = Trust::default();
    for f in files {
        let text = String::from_utf8(read(f)?)
            .with_context(|| format!("{} is not a PEM file", f.display()))?;
        let certs = pem_blocks(&text, &["CERTIFICATE"])
            .with_context(|| format!("{} holds a certificate that is not base64", f.display()))?;
        if certs.is_empty() {
            bail!("{} holds no CERTIFICATE block", f.display());
        }
        for der in certs {
            let self_issued = yinxin_sign::chain::describe(&der).with_context(|| {
                format!("{} holds something that is not a certificate", f.display())
            })?;
            if self_issued.subject == self_issued.issuer {
                t.anchors.push(der);
            } else {
                t.intermediates.push(der);
            }
        }
    }
    Ok(t)
}

/// Runs the command: prints the report; an error if the document is not valid.
pub fn run(command: &VerifyCommand) -> anyhow::Result<()> {
    let (report, json) = match command {
        VerifyCommand::Proof {
            file,
            key,
            trust: t,
            json,
        } => return proof(file, key, &trust(t)?, *json),
        VerifyCommand::Report {
            file,
            key,
            trust: t,
            json,
        } => return evidence_report(file, key, &trust(t)?, *json),
        VerifyCommand::Pdf {
            file,
            trust: t,
            json,
        } => {
            let pdf = read(file)?;
            let views = pdf_report(&pdf, &trust(t)?)
                .with_context(|| format!("{} cannot be verified", file.display()))?;
            (finish(views, &[]), *json)
        }
        VerifyCommand::Cms {
            signature,
            content,
            digest,
            trust: t,
            json,
        } => {
            let sig = read(signature)?;
            let sig = match std::str::from_utf8(&sig) {
                Ok(text) if text.trim_start().starts_with("-----BEGIN") => {
                    pem_blocks(text, &["CMS", "PKCS7"])
                        .and_then(|b| b.into_iter().next())
                        .context("the signature's PEM holds no CMS or PKCS7 block")?
                }
                _ => sig,
            };
            let content = content.as_deref().map(read).transpose()?;
            let digest = digest
                .as_deref()
                .map(|d| hex::decode(d.trim()).context("--digest is hexadecimal"))
                .transpose()?;
            let signed = match (&content, &digest) {
                (Some(c), _) => Signed::Content(c),
                (None, Some(d)) => Signed::Digest(d),
                (None, None) => bail!("give --content FILE or --digest HEX"),
            };
            let view = cms_report(&sig, signed, &trust(t)?)
                .with_context(|| format!("{} cannot be verified", signature.display()))?;
            (finish(vec![view], &[]), *json)
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if !report.valid {
        bail!("not valid (see the report above)");
    }
    Ok(())
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

fn print_report(r: &VerificationReport) {
    if r.signatures.is_empty() {
        println!("no signature found");
    }
    for (i, s) in r.signatures.iter().enumerate() {
        let name = s.field_name.as_deref().unwrap_or("CMS");
        println!("signature {} ({}, {name})", i + 1, s.kind);
        println!("  intact:        {}", yes(s.integrity));
        if let Some(p) = &s.problem {
            println!("  problem:       {p}");
        }
        if let Some(c) = &s.signer {
            println!("  signer:        {}", c.subject);
            println!("  issuer:        {} (serial {})", c.issuer, c.serial);
        }
        match &s.chain.root {
            Some(root) => println!(
                "  root:          {root} (trusted: {})",
                yes(s.chain.trusted)
            ),
            None => println!("  root:          none reached"),
        }
        if let Some(p) = &s.chain.problem {
            println!("  chain:         {p}");
        }
        println!(
            "  revocation:    {} ({}), {} at signing time",
            s.revocation.status, s.revocation.source, s.revocation.at_signing_time
        );
        if let Some(t) = &s.claimed_signing_time {
            println!("  claimed time:  {t}");
        }
        if let Some(t) = &s.timestamp {
            println!(
                "  timestamp:     {} (valid: {}, TSA trusted: {})",
                t.time.as_deref().unwrap_or("?"),
                yes(t.valid),
                yes(t.tsa_trusted)
            );
        }
        if let Some(l) = &s.level {
            println!("  PAdES level:   {l}");
        }
        for p in &s.baseline_problems {
            println!("  not baseline:  {p}");
        }
        if let Some(rev) = s.revision {
            println!(
                "  revision:      {rev}, whole file: {}, modified after: {}",
                yes(s.covers_whole_file == Some(true)),
                if s.modified_after == Some(true) {
                    "yes"
                } else {
                    "no"
                }
            );
        }
        for c in &s.changes_after {
            println!("  changed after: {c}");
        }
    }
    println!("valid: {}", yes(r.valid));
}

/// What `yinxin verify proof` found.
#[derive(Debug, serde::Serialize)]
struct ProofView {
    valid: bool,
    problem: Option<String>,
    origin: Option<String>,
    checkpoint_size: Option<u64>,
    root: Option<String>,
    index: Option<u64>,
    leaf_hash: Option<String>,
    entry_type: Option<String>,
    entry_time: Option<String>,
    commitments: Vec<String>,
    anchors: Vec<AnchorView>,
}

/// One anchor receipt as checked.
#[derive(Debug, serde::Serialize)]
struct AnchorView {
    anchor: String,
    /// The token verifies and its imprint is the SHA-256 of the bundle's checkpoint note.
    valid: bool,
    time: Option<String>,
    tsa: Option<String>,
    tsa_trusted: bool,
    problem: Option<String>,
}

/// The log verifier key given as `--key`: the key itself, or a file holding it.
fn log_key(key: &str) -> anyhow::Result<yinxin_ledger::note::NoteVerifier> {
    let key_text = match std::fs::read_to_string(key) {
        Ok(text) => text.trim().to_owned(),
        Err(_) => key.trim().to_owned(),
    };
    yinxin_ledger::note::NoteVerifier::parse(&key_text)
        .map_err(|e| anyhow::anyhow!("--key: not a log verifier key ({e})"))
}

fn proof(file: &Path, key: &str, trust: &Trust, json: bool) -> anyhow::Result<()> {
    let verifier = log_key(key)?;
    let bytes = read(file)?;
    let view = proof_view(&bytes, &verifier, trust)
        .map_err(|e| anyhow::anyhow!("{} is not a proof bundle: {e}", file.display()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print_proof(&view);
    }
    if !view.valid {
        bail!("not valid (see the report above)");
    }
    Ok(())
}

/// What a proof bundle comes to under `verifier` (the checkpoint, the inclusion, each anchor's
/// receipt); an error only when the bytes are not a bundle.
fn proof_view(
    bytes: &[u8],
    verifier: &yinxin_ledger::note::NoteVerifier,
    trust: &Trust,
) -> Result<ProofView, yinxin_ledger::bundle::BundleError> {
    use yinxin_ledger::bundle::Bundle;
    let (bundle, proof) = Bundle::parse(bytes)?;
    let mut view = ProofView {
        valid: false,
        problem: None,
        origin: None,
        checkpoint_size: None,
        root: None,
        index: None,
        leaf_hash: None,
        entry_type: None,
        entry_time: None,
        commitments: Vec::new(),
        anchors: Vec::new(),
    };
    match proof.verify(verifier) {
        Ok(r) => {
            view.valid = true;
            view.origin = Some(r.checkpoint.origin.clone());
            view.checkpoint_size = Some(r.checkpoint.size);
            view.root = Some(hex::encode(r.checkpoint.root));
            view.index = Some(r.index);
            view.leaf_hash = Some(hex::encode(r.leaf_hash));
            view.entry_type = Some(r.entry.body.type_name().to_owned());
            view.entry_time = Some(yinxin_sign::chain::rfc3339(
                std::time::UNIX_EPOCH
                    + std::time::Duration::from_millis(
                        u64::try_from(r.entry.time_ms).unwrap_or_default(),
                    ),
            ));
            view.commitments = r
                .entry
                .body
                .commitments()
                .iter()
                .map(|c| hex::encode(c.0))
                .collect();
        }
        Err(e) => view.problem = Some(e.to_string()),
    }
    for (anchor, receipt, _) in bundle.receipts() {
        let r = yinxin_sign::timestamp::check_token(&receipt, proof.checkpoint.as_bytes());
        let (tsa, tsa_trusted) = match &r.tsa_certificate_der {
            Some(der) => {
                let chain =
                    yinxin_sign::chain::build(der, &trust.intermediates, &trust.anchors, r.time);
                (
                    yinxin_sign::chain::describe(der).map(|c| c.subject),
                    chain.trusted,
                )
            }
            None => (None, false),
        };
        view.anchors.push(AnchorView {
            anchor,
            valid: r.ok(),
            time: r.time.map(yinxin_sign::chain::rfc3339),
            tsa,
            tsa_trusted,
            problem: r.problem,
        });
    }
    if view.anchors.iter().any(|a| !a.valid) {
        view.valid = false;
        view.problem
            .get_or_insert_with(|| "an anchor's receipt is not over this checkpoint".into());
    }
    Ok(view)
}

/// What `yinxin verify report` found.
#[derive(Debug, serde::Serialize)]
struct EvidenceReportView {
    valid: bool,
    problems: Vec<String>,
    /// The report's own signatures and timestamps.
    document: VerificationReport,
    /// Each attached proof bundle.
    proofs: Vec<AttachedProof>,
}

/// An attached proof bundle as checked.
#[derive(Debug, serde::Serialize)]
struct AttachedProof {
    attachment: String,
    #[serde(flatten)]
    proof: ProofView,
}

/// An evidence report: its signatures as `verify pdf` checks them, each attached
/// `*.proof.json` as `verify proof` does, and `evidence.json` listing exactly those bundles.
fn evidence_report(file: &Path, key: &str, trust: &Trust, json: bool) -> anyhow::Result<()> {
    let verifier = log_key(key)?;
    let pdf = read(file)?;
    let document = finish(
        pdf_report(&pdf, trust)
            .with_context(|| format!("{} cannot be verified", file.display()))?,
        &[],
    );
    let attached = yinxin_sign::report::attachments(&pdf)
        .with_context(|| format!("{}: its attachments cannot be read", file.display()))?;
    let mut problems = Vec::new();
    if !document.valid {
        problems.push("the report's signature or timestamps are not valid".to_owned());
    }
    let mut proofs = Vec::new();
    let mut bundles = Vec::new();
    for (name, bytes) in attached.iter().filter(|(n, _)| n.ends_with(".proof.json")) {
        match proof_view(bytes, &verifier, trust) {
            Ok(v) => {
                if !v.valid {
                    problems.push(format!("{name}: {}", v.problem.clone().unwrap_or_default()));
                }
                proofs.push(AttachedProof {
                    attachment: name.clone(),
                    proof: v,
                });
                bundles.push(serde_json::from_slice::<serde_json::Value>(bytes)?);
            }
            Err(e) => problems.push(format!("{name} is not a proof bundle: {e}")),
        }
    }
    match attached.iter().find(|(n, _)| n == "evidence.json") {
        Some((_, bytes)) => {
            let listed: serde_json::Value =
                serde_json::from_slice(bytes).context("evidence.json is not JSON")?;
            let listed: Vec<&serde_json::Value> = listed
                .get("records")
                .and_then(serde_json::Value::as_array)
                .map(|r| r.iter().filter_map(|r| r.get("bundle")).collect())
                .unwrap_or_default();
            if listed.len() != bundles.len() || bundles.iter().any(|b| !listed.contains(&b)) {
                problems.push("evidence.json does not list exactly the attached bundles".into());
            }
        }
        None => problems.push("no evidence.json attached".into()),
    }
    if proofs.is_empty() {
        problems.push("no proof bundle attached: not an evidence report".into());
    }
    let view = EvidenceReportView {
        valid: problems.is_empty(),
        problems,
        document,
        proofs,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print_report(&view.document);
        for p in &view.proofs {
            println!("attachment {}", p.attachment);
            print_proof(&p.proof);
        }
        for p in &view.problems {
            println!("problem:       {p}");
        }
        println!("valid: {}", yes(view.valid));
    }
    if !view.valid {
        bail!("not valid (see the report above)");
    }
    Ok(())
}

fn print_proof(v: &ProofView) {
    if let (Some(origin), Some(size), Some(root)) = (&v.origin, v.checkpoint_size, &v.root) {
        println!("checkpoint:    {origin}, size {size}, root {root} (signed by the key given)");
    }
    if let (Some(index), Some(leaf)) = (v.index, &v.leaf_hash) {
        println!("leaf:          index {index}, hash {leaf} (included: yes)");
    }
    if let (Some(t), Some(at)) = (&v.entry_type, &v.entry_time) {
        println!("entry:         {t} at {at}");
    }
    for c in &v.commitments {
        println!("  commitment:  {c}");
    }
    if v.anchors.is_empty() {
        println!("anchors:       none in the bundle");
    }
    for a in &v.anchors {
        println!(
            "anchor:        {} at {} (valid: {}, TSA {} trusted: {})",
            a.anchor,
            a.time.as_deref().unwrap_or("?"),
            yes(a.valid),
            a.tsa.as_deref().unwrap_or("?"),
            yes(a.tsa_trusted)
        );
        if let Some(p) = &a.problem {
            println!("  problem:     {p}");
        }
    }
    if let Some(p) = &v.problem {
        println!("problem:       {p}");
    }
    println!("valid: {}", yes(v.valid));
}
