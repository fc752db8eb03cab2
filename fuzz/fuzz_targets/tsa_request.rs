//! The timestamp authority's request parser (`yinxin_pki::tsp::parse_request`, SIGN-1, RFC 3161):
//! every `POST /pki/tsa` body reaches it.
//!
//! The whole input is the request. Checked: no panic; deterministic; a refusal carries one of the
//! failure bits a request can earn (badAlg, badRequest, badDataFormat, unacceptedExtension), a
//! text, and its TimeStampResp reads back as that rejection; nothing over 64 KiB is accepted. When
//! accepted: the imprint has its algorithm's length and occurs in the input, as does the nonce
//! (at most 64 octets); a byte appended or the last byte dropped is refused; the TSTInfo built
//! for it encodes and carries the imprint as received.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use yinxin_pki::tsp::{
    FailureInfo, MAX_NONCE_LEN, MAX_REQUEST_LEN, TokenSpec, parse_request, read_response,
    rejected, tst_info,
};

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let first = parse_request(data);
    assert_eq!(first, parse_request(data), "not deterministic");
    match first {
        Err(r) => {
            assert!(
                matches!(
                    r.failure,
                    FailureInfo::BadAlg
                        | FailureInfo::BadRequest
                        | FailureInfo::BadDataFormat
                        | FailureInfo::UnacceptedExtension
                ),
                "{r:?}"
            );
            assert!(!r.text.is_empty());
            let back = read_response(&rejected(&r)).expect("a rejection reads back");
            assert_eq!(back.status, 2);
            assert_eq!(back.failures, vec![r.failure]);
            assert!(back.token.is_none());
        }
        Ok(req) => {
            assert!(data.len() <= MAX_REQUEST_LEN);
            assert_eq!(req.hashed_message.len(), req.hash.output_len());
            assert!(contains(data, &req.hashed_message));
            if let Some(n) = &req.nonce {
                assert!(!n.is_empty() && n.len() <= MAX_NONCE_LEN);
                assert!(contains(data, n));
            }
            let mut longer = data.to_vec();
            longer.push(0);
            assert!(parse_request(&longer).is_err(), "a byte appended was accepted");
            assert!(
                parse_request(&data[..data.len() - 1]).is_err(),
                "the last byte dropped was accepted"
            );
            let info = tst_info(
                &req,
                &TokenSpec {
                    policy: yinxin_pki::tsa::DEFAULT_POLICY,
                    serial: u64::from(data[0]) << 56 | 1,
                    gen_time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_772_352_000),
                    accuracy: Some(Duration::from_secs(1)),
                    tsa_name: None,
                },
            )
            .expect("a TSTInfo for an accepted request encodes");
            assert!(contains(&info, &req.hashed_message));
        }
    }
});
