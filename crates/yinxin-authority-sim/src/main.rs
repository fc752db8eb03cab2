//! `yinxin-authority-sim --listen 127.0.0.1:8091`: the verification-provider simulator as a
//! program (see the library's documentation and docs/PROVIDERS.md).

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use yinxin_authority_sim::{
    DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_SEED, FACEID_VERSION, OCR_VERSION, SimConfig,
    dataset, serve,
};

/// A local identity-verification provider (Tencent Cloud API 3.0 protocol, TC3-HMAC-SHA256) over
/// a synthetic dataset. Loopback only; for development and tests.
#[derive(Parser, Debug)]
#[command(name = "yinxin-authority-sim", version)]
struct Args {
    /// Address to listen on; must be a loopback address.
    #[arg(long, default_value = "127.0.0.1:8091")]
    listen: SocketAddr,
    /// SecretId accepted (simulator-only default).
    #[arg(long, env = "YINXIN_SIM_SECRET_ID", default_value = DEFAULT_SECRET_ID)]
    secret_id: String,
    /// SecretKey signatures are checked with (simulator-only default).
    #[arg(long, env = "YINXIN_SIM_SECRET_KEY", default_value = DEFAULT_SECRET_KEY, hide_default_value = true)]
    secret_key: String,
    /// Seed of the synthetic dataset.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "yinxin-authority-sim: refusing to listen on {}: the simulator serves synthetic data \
             over plain HTTP and listens on loopback addresses only (127.0.0.0/8, ::1)",
            args.listen
        );
        return ExitCode::from(2);
    }
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "yinxin-authority-sim: cannot listen on {}: {e}",
                args.listen
            );
            return ExitCode::FAILURE;
        }
    };
    let default_key = args.secret_key == DEFAULT_SECRET_KEY;
    let config = SimConfig {
        secret_id: args.secret_id.clone(),
        secret_key: args.secret_key,
        seed: args.seed,
    };
    let data = dataset(args.seed);
    let handle = match serve(listener, config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("yinxin-authority-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let base = handle.endpoint();
    println!("yinxin-authority-sim listening on {base}");
    println!(
        "  protocol   Tencent Cloud API 3.0, TC3-HMAC-SHA256, POST {base} (faceid and ocr alike)"
    );
    println!(
        "  actions    faceid {FACEID_VERSION}: PhoneVerification, BankCard4EVerification, \
         ImageRecognition; ocr {OCR_VERSION}: IDCardOCR"
    );
    println!(
        "             yinxin extensions (faceid {FACEID_VERSION}): EnterpriseVerification, \
         RemitVerificationDeposit"
    );
    println!(
        "  secret id  {}{}",
        args.secret_id,
        if default_key {
            " (with the simulator's built-in key)"
        } else {
            ""
        }
    );
    println!(
        "  dataset    seed {}: {} synthetic persons, {} synthetic enterprises",
        args.seed,
        data.persons.len(),
        data.enterprises.len()
    );
    println!("  own routes GET {base}_fixtures  GET {base}_deposits  GET {base}_calls");
    println!("             POST {base}_control {{\"latency_ms\": 0, \"down\": false}}");

    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}
