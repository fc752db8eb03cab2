//! `yinxin verify pdf FILE` and `yinxin verify cms SIGNATURE` (issue 6 item 7): the reports of
//! `POST /api/v1/verify/*`, offline. Trusted roots are the ones given with `--trust` (a PEM file
//! of certificates, e.g. the service's `/pki/chain.pem`; repeatable; intermediates may be in it
//! too); without one, no chain is trusted. Revocation needs the service's records, so offline it
//! is `unknown` (a certificate's status is what `/pki/ocsp` answers).

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
            "  revocation:    {} now, {} at signing time",
            s.revocation.status, s.revocation.at_signing_time
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
