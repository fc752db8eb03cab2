//! The raw provider call, without the platform: carrier and face checks straight through the
//! Tencent Cloud adapter (`TencentCloud::check`) to `yinxin-authority-sim`, timed per call.
//! `scripts/bench-idv` runs it beside the HTTP figures so that the platform's added latency over
//! the provider call can be read off (BENCHMARKS.md, "Identity verification").
//!
//! ```sh
//! cargo run --release --example provider_latency -p yinxin-identity -- \
//!     [ENDPOINT|-] [SECONDS] [CONCURRENCY] [carrier|face|all]
//! ```
//!
//! `ENDPOINT` is the simulator's base URL, e.g. `http://127.0.0.1:8091/` (else the environment's
//! `YINXIN_SIM_ENDPOINT`); `-` or nothing starts a simulator in this process on `127.0.0.1:0`. The simulator's default
//! credentials are used. The person is the first of `GET /_fixtures` with no `note` whose carrier
//! and face checks are expected to match. Each check runs for `SECONDS` (default 10) with
//! `CONCURRENCY` tasks (default 1), each calling in a loop after 20 warm-up calls; every answer
//! must be a match, or the run fails. Prints calls/s and p50/p90/p99/max of the call durations.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use yinxin_identity::idv::provider::{Answer, Check, IdentityProvider, ImageBytes, Secret};
use yinxin_identity::idv::tencent::{TencentCloud, TencentConfig};
use zeroize::Zeroizing;

type Error = Box<dyn std::error::Error + Send + Sync>;

const WARM_UP_CALLS: usize = 20;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let endpoint = arg(0)
        .map(str::to_owned)
        .or_else(|| std::env::var("YINXIN_SIM_ENDPOINT").ok())
        .filter(|e| e != "-");
    let seconds: f64 = arg(1).unwrap_or("10").parse()?;
    let concurrency: usize = arg(2).unwrap_or("1").parse()?;
    let which = arg(3).unwrap_or("all");
    if concurrency == 0 || seconds <= 0.0 {
        return Err("SECONDS and CONCURRENCY must be positive".into());
    }

    // The simulator: the one given, or one started here.
    let mut _sim = None;
    let endpoint = match endpoint {
        Some(e) => e,
        None => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let sim = yinxin_authority_sim::serve(listener, Default::default()).await?;
            let e = sim.endpoint();
            _sim = Some(sim);
            e
        }
    };

    let fixtures: Value = serde_json::from_slice(
        &reqwest::get(format!("{endpoint}_fixtures"))
            .await?
            .error_for_status()?
            .bytes()
            .await?,
    )?;
    let person = fixtures
        .get("persons")
        .and_then(Value::as_array)
        .and_then(|ps| {
            ps.iter().find(|p| {
                p.get("note").is_none()
                    && p.pointer("/expected/carrier") == Some(&Value::from("match"))
                    && p.pointer("/expected/face") == Some(&Value::from("match"))
            })
        })
        .ok_or("no person in /_fixtures whose carrier and face checks match")?;
    let field = |k: &str| -> Result<String, Error> {
        Ok(person
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("/_fixtures: a person without {k}"))?
            .to_owned())
    };
    let image =
        |k: &str| -> Result<ImageBytes, Error> { Ok(ImageBytes::new(STANDARD.decode(field(k)?)?)) };
    let carrier = Check::Carrier {
        name: Secret::new(field("name")?),
        id_number: Secret::new(field("id_number")?),
        mobile: Secret::new(field("mobile")?),
    };
    let face = Check::Face {
        name: Secret::new(field("name")?),
        id_number: Secret::new(field("id_number")?),
        document_photo: image("photo")?,
        face: image("live_face")?,
    };

    let provider = Arc::new(TencentCloud::new(TencentConfig {
        name: "authority-sim".to_owned(),
        endpoint: endpoint.clone(),
        ocr_endpoint: endpoint.clone(),
        secret_id: yinxin_authority_sim::DEFAULT_SECRET_ID.to_owned(),
        secret_key: Zeroizing::new(yinxin_authority_sim::DEFAULT_SECRET_KEY.to_owned()),
        region: None,
        connect_timeout_secs: 5,
    })?);

    println!(
        "provider_latency: {endpoint}, {concurrency} concurrent task(s), {seconds} s per check"
    );
    let duration = Duration::from_secs_f64(seconds);
    if matches!(which, "carrier" | "all") {
        run("carrier", &provider, &carrier, concurrency, duration).await?;
    }
    if matches!(which, "face" | "all") {
        run("face", &provider, &face, concurrency, duration).await?;
    }
    Ok(())
}

/// Runs `check` from `concurrency` tasks for `duration`; prints the figures.
async fn run(
    what: &str,
    provider: &Arc<TencentCloud>,
    check: &Check,
    concurrency: usize,
    duration: Duration,
) -> Result<(), Error> {
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let provider = Arc::clone(provider);
        let check = check.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..WARM_UP_CALLS {
                expect_match(provider.check(&check).await)?;
            }
            Ok::<_, Error>((provider, check))
        }));
    }
    let mut warmed = Vec::with_capacity(concurrency);
    for t in tasks {
        warmed.push(t.await??);
    }

    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for (provider, check) in warmed {
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let answer = provider.check(&check).await;
                times.push(t0.elapsed());
                expect_match(answer)?;
            }
            Ok::<_, Error>(times)
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await??);
    }
    let wall = start.elapsed();
    times.sort_unstable();
    let pct = |p: f64| -> f64 {
        let rank = ((p * times.len() as f64).ceil() as usize).saturating_sub(1);
        times
            .get(rank.min(times.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "{what:<8} concurrency {concurrency}: {} calls in {:.2} s: {:.0} calls/s, \
         p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms (all matched)",
        times.len(),
        wall.as_secs_f64(),
        times.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
    );
    Ok(())
}

/// A benchmark of anything but matches measures the wrong thing: stop at the first.
fn expect_match(
    answer: Result<Answer, yinxin_identity::idv::provider::ProviderError>,
) -> Result<(), Error> {
    match answer {
        Ok(Answer::Match) => Ok(()),
        other => Err(format!("expected a match, got {other:?}").into()),
    }
}
