//! The PKCS#11 key store: keys are generated on a token (an HSM; SoftHSM2 in the tests) as
//! sensitive, non-extractable token objects, and every signature is made by the token. Nothing
//! private leaves it; this process only hashes the message (ECDSA) and re-encodes what the token
//! returns.
//!
//! - A key's [`KeyId`] is `p11:` followed by the lowercase hex of its `CKA_ID` (16 random bytes for
//!   keys generated here; a key provisioned by other tools can be named by its own `CKA_ID`).
//! - Which algorithms a token offers is read from its mechanism list when the store opens
//!   ([`KeyStore::supports`]). SM2 is never offered: PKCS#11 defines no SM2 mechanism, the vendor
//!   ones differ from HSM to HSM, and this back end drives none of them (the software store keeps
//!   SM2 keys). [`Pkcs11KeyStore::lists_vendor_sm2`] says whether a token advertises the most
//!   common vendor SM2 codes, for the operator's information only.
//! - The module is loaded and `C_Initialize`d once per process and never finalized; a token is
//!   logged in once per process, by a session that stays open for the life of the process so that
//!   the login (and the object handles, which PKCS#11 ties to it) last. A second store on the same
//!   token must present the same PIN; that is checked against a salted SHA-256 of the first one,
//!   as the token cannot be asked again once logged in.
//! - Operations use sessions from a small pool (a `cryptoki` session is not `Sync`): each call
//!   takes a session, uses it alone, and gives it back. Generation, look-up and destruction run on
//!   tokio's blocking pool; [`Signer::sign`] blocks for one token round trip.
//! - Each signature is verified against the key's public key before it is returned, so a faulty
//!   token (or a fault injected into an RSA-CRT computation) never releases a bad signature.
//! - After [`KeyStore::destroy`], [`KeyStore::signer`] for that key returns
//!   [`CryptoError::Destroyed`] from the same store, [`CryptoError::UnknownKey`] from any other
//!   (after a restart, say): the token keeps no trace of a destroyed object to tell the two apart.
//!   Destroying a key whose objects are gone (or were never there) is not an error, so that a
//!   second destroy succeeds. A signer obtained before the destruction fails with
//!   [`CryptoError::Destroyed`].

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::ffi::c_ulong;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use async_trait::async_trait;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Ulong};
use der::asn1::{
    Any, AnyRef, BitString, ObjectIdentifier, OctetString, PrintableStringRef, UintRef,
};
use der::{Decode, Encode};
use sha2_011::Digest as _;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use crate::algorithm::oid;
use crate::{CryptoError, KeyAlgorithm, KeyHandle, KeyId, KeyStore, Signer};

const STORE: &str = "pkcs11";
const ID_PREFIX: &str = "p11:";
/// Bytes of `CKA_ID` for keys generated here.
const CKA_ID_LEN: usize = 16;
/// The longest `CKA_ID` accepted in a [`KeyId`].
const CKA_ID_MAX: usize = 64;
/// Idle sessions kept for reuse; more may be open while many callers sign at once.
const MAX_IDLE_SESSIONS: usize = 8;
/// 65537, big-endian.
const RSA_PUBLIC_EXPONENT: [u8; 3] = [0x01, 0x00, 0x01];
/// `CKM_VENDOR_DEFINED`.
const CKM_VENDOR_DEFINED: c_ulong = 0x8000_0000;
/// The vendor SM2 codes most HSM SDKs copy (`CKM_SM2 = CKM_VENDOR_DEFINED + 0x8000`): key pair
/// generation and SM2-with-SM3 signing. Vendor codes are not registered and may mean something
/// else on another token: the answer is a hint for the operator, never a reason to use them.
const VENDOR_SM2_MECHANISMS: [c_ulong; 2] =
    [CKM_VENDOR_DEFINED + 0x8001, CKM_VENDOR_DEFINED + 0x8100];
/// curve25519 in the form some tokens use for Edwards keys (the GnuPG OID).
const CURVE25519_GNU: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.15.1");

/// Where the PKCS#11 module is and how to reach the token. `Debug` shows no PIN.
#[derive(Clone)]
pub struct Pkcs11Config {
    /// The PKCS#11 module (a shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The label of the token (`CKA_LABEL` of the token, as set when it was initialized).
    pub token_label: String,
    /// The user PIN.
    pub pin: Zeroizing<String>,
}

impl fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"<redacted>")
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A cryptoki error as `C_Login returned PinIncorrect`, without the paragraph of the spec.
fn describe(e: &P11Error) -> String {
    match e {
        P11Error::Pkcs11(rv, function) => format!("C_{function:?} returned {rv:?}"),
        other => other.to_string(),
    }
}

fn p11(what: impl fmt::Display) -> impl FnOnce(P11Error) -> CryptoError {
    move |e| CryptoError::Pkcs11(format!("{what}: {}", describe(&e)))
}

fn rv_of(e: &P11Error) -> Option<RvError> {
    match e {
        P11Error::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

fn rng_failed(e: getrandom::Error) -> CryptoError {
    CryptoError::Signing(format!("operating system RNG: {e}"))
}

fn der_failed(what: &'static str) -> impl FnOnce(der::Error) -> CryptoError {
    move |e| CryptoError::Pkcs11(format!("{what}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The `CKA_ID` a `p11:` identifier names (lowercase hex only, so that one key has one name).
fn cka_id(id: &KeyId) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let digits = id.as_str().strip_prefix(ID_PREFIX)?.as_bytes();
    if digits.is_empty() || digits.len() % 2 != 0 || digits.len() > 2 * CKA_ID_MAX {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some(nibble(*hi)? << 4 | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

fn key_id(cka_id: &[u8]) -> KeyId {
    KeyId::new(format!("{ID_PREFIX}{}", hex(cka_id)))
}

// ---------------------------------------------------------------------------------------------
// Process-wide state: one initialized context per module, one login per token.

/// A token's login: the session that holds it, and a salted hash of the PIN that made it.
struct Login {
    _session: Mutex<Session>,
    pin_check: [u8; 32],
}

struct Module {
    ctx: Pkcs11,
    /// By `slot id/serial number`.
    logins: HashMap<String, Arc<Login>>,
}

fn modules() -> &'static Mutex<HashMap<PathBuf, Module>> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Module>>> = OnceLock::new();
    MODULES.get_or_init(|| Mutex::new(HashMap::new()))
}

fn pin_check(token: &str, pin: &str) -> Result<[u8; 32], CryptoError> {
    static SALT: OnceLock<[u8; 32]> = OnceLock::new();
    let salt = match SALT.get() {
        Some(salt) => salt,
        None => {
            let mut fresh = [0u8; 32];
            getrandom::fill(&mut fresh).map_err(rng_failed)?;
            SALT.get_or_init(|| fresh)
        }
    };
    let mut h = sha2_011::Sha256::new();
    h.update(salt);
    h.update(token.as_bytes());
    h.update([0]);
    h.update(pin.as_bytes());
    Ok(h.finalize().into())
}

fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn pin_incorrect(label: &str) -> CryptoError {
    CryptoError::Pkcs11(format!(
        "login to token '{label}' failed: the PIN is incorrect"
    ))
}

impl Module {
    fn load(path: &Path) -> Result<Self, CryptoError> {
        let ctx = Pkcs11::new(path).map_err(p11(format_args!(
            "cannot load the module {}",
            path.display()
        )))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            // Initialized already by other code in this process: the context is usable.
            Ok(()) | Err(P11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(p11(format_args!("cannot initialize {}", path.display()))(e)),
        }
        Ok(Self {
            ctx,
            logins: HashMap::new(),
        })
    }
}

fn log_in(ctx: &Pkcs11, slot: Slot, label: &str, pin: &str) -> Result<Session, CryptoError> {
    let session = ctx.open_ro_session(slot).map_err(p11(format_args!(
        "cannot open a session on token '{label}'"
    )))?;
    let auth = AuthPin::from(pin);
    match session.login(UserType::User, Some(&auth)) {
        Ok(()) => Ok(session),
        Err(e) => Err(match rv_of(&e) {
            Some(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange) => {
                pin_incorrect(label)
            }
            Some(RvError::PinLocked) => {
                CryptoError::Pkcs11(format!("the user PIN of token '{label}' is locked"))
            }
            Some(RvError::UserAlreadyLoggedIn) => CryptoError::Pkcs11(format!(
                "token '{label}' is logged in already by other code in this process, so the PIN \
                 cannot be checked"
            )),
            _ => p11(format_args!("login to token '{label}' failed"))(e),
        }),
    }
}

/// The slot of the one initialized token labelled `label`.
fn find_token(ctx: &Pkcs11, label: &str, module: &Path) -> Result<Slot, CryptoError> {
    let slots = ctx
        .get_slots_with_token()
        .map_err(p11("cannot list the slots"))?;
    let mut found = Vec::new();
    let mut others = Vec::new();
    for slot in slots {
        let info = ctx.get_token_info(slot).map_err(p11(format_args!(
            "cannot read the token in slot {}",
            slot.id()
        )))?;
        if !info.token_initialized() {
            continue;
        }
        if info.label().trim_end() == label {
            found.push(slot);
        } else {
            others.push(format!("'{}'", info.label().trim_end()));
        }
    }
    match found.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(CryptoError::Pkcs11(format!(
            "no token labelled '{label}' in {} (tokens there: {})",
            module.display(),
            if others.is_empty() {
                "none".to_owned()
            } else {
                others.join(", ")
            }
        ))),
        _ => Err(CryptoError::Pkcs11(format!(
            "{} tokens are labelled '{label}' in {}: give each token its own label",
            found.len(),
            module.display()
        ))),
    }
}

/// The algorithms a token offers, from its mechanism list: generation and signing mechanisms
/// both present, and the key size within the generation mechanism's range when it states one.
fn supported_algorithms(
    mechanisms: &[MechanismType],
    size_ok: impl Fn(MechanismType, usize) -> bool,
) -> Vec<KeyAlgorithm> {
    let has = |m: MechanismType| mechanisms.contains(&m);
    let ec = |bits| {
        has(MechanismType::ECC_KEY_PAIR_GEN)
            && has(MechanismType::ECDSA)
            && size_ok(MechanismType::ECC_KEY_PAIR_GEN, bits)
    };
    let rsa = |bits| {
        has(MechanismType::RSA_PKCS_KEY_PAIR_GEN)
            && has(MechanismType::SHA256_RSA_PKCS)
            && size_ok(MechanismType::RSA_PKCS_KEY_PAIR_GEN, bits)
    };
    KeyAlgorithm::ALL
        .into_iter()
        .filter(|algorithm| match algorithm {
            // No standard mechanism; no vendor one is driven here (module documentation).
            KeyAlgorithm::Sm2 => false,
            KeyAlgorithm::EcdsaP256 => ec(256),
            KeyAlgorithm::EcdsaP384 => ec(384),
            KeyAlgorithm::Rsa2048 => rsa(2048),
            KeyAlgorithm::Rsa3072 => rsa(3072),
            KeyAlgorithm::Rsa4096 => rsa(4096),
            KeyAlgorithm::Ed25519 => {
                has(MechanismType::ECC_EDWARDS_KEY_PAIR_GEN) && has(MechanismType::EDDSA)
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Public keys: from token objects to SubjectPublicKeyInfo.

#[derive(der::Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

fn spki_der(
    algorithm: ObjectIdentifier,
    parameters: Option<Any>,
    key: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: algorithm,
            parameters,
        },
        subject_public_key: BitString::from_bytes(key).map_err(der_failed("public key bits"))?,
    }
    .to_der()
    .map_err(der_failed("SubjectPublicKeyInfo"))
}

/// The public point out of `CKA_EC_POINT`: a DER OCTET STRING around it (PKCS#11), or the bare
/// point (what some older tokens return); the lengths tell them apart.
fn unwrap_point(value: &[u8], len: usize) -> Result<Vec<u8>, CryptoError> {
    if value.len() == len {
        return Ok(value.to_vec());
    }
    let inner = OctetString::from_der(value).map_err(der_failed(
        "CKA_EC_POINT is neither a point nor a DER OCTET STRING",
    ))?;
    if inner.as_bytes().len() != len {
        return Err(CryptoError::Pkcs11(format!(
            "CKA_EC_POINT holds {} bytes, not the {len} of this curve's point",
            inner.as_bytes().len()
        )));
    }
    Ok(inner.as_bytes().to_vec())
}

/// The number of bits of a big-endian unsigned integer.
fn bit_length(be: &[u8]) -> usize {
    let mut rest = be;
    while let Some((0, tail)) = rest.split_first() {
        rest = tail;
    }
    match rest.first() {
        None => 0,
        Some(top) => rest.len() * 8 - top.leading_zeros() as usize,
    }
}

fn ec_spki(curve: ObjectIdentifier, point: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let parameters = Any::encode_from(&curve).map_err(der_failed("curve"))?;
    spki_der(oid::EC_PUBLIC_KEY, Some(parameters), point)
}

fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let key = RsaPublicKey {
        modulus: UintRef::new(modulus).map_err(der_failed("modulus"))?,
        public_exponent: UintRef::new(exponent).map_err(der_failed("public exponent"))?,
    }
    .to_der()
    .map_err(der_failed("RSAPublicKey"))?;
    spki_der(oid::RSA_ENCRYPTION, Some(AnyRef::NULL.into()), &key)
}

/// The SubjectPublicKeyInfo of the public key object `public`, checked to be a key of
/// `algorithm`.
fn public_key_info(
    session: &Session,
    public: ObjectHandle,
    algorithm: KeyAlgorithm,
) -> Result<Vec<u8>, CryptoError> {
    let attributes = session
        .get_attributes(
            public,
            &[
                AttributeType::EcPoint,
                AttributeType::Modulus,
                AttributeType::PublicExponent,
            ],
        )
        .map_err(p11("cannot read the public key"))?;
    let mut point = None;
    let mut modulus = None;
    let mut exponent = None;
    for attribute in &attributes {
        match attribute {
            Attribute::EcPoint(v) => point = Some(v.as_slice()),
            Attribute::Modulus(v) => modulus = Some(v.as_slice()),
            Attribute::PublicExponent(v) => exponent = Some(v.as_slice()),
            _ => {}
        }
    }
    let missing = |what: &str| CryptoError::Pkcs11(format!("the public key object has no {what}"));
    let bad_point = |_| CryptoError::Pkcs11(format!("the token's {algorithm} point is not valid"));
    let spki = match algorithm {
        KeyAlgorithm::EcdsaP256 => {
            let point = unwrap_point(point.ok_or_else(|| missing("CKA_EC_POINT"))?, 65)?;
            p256::PublicKey::from_sec1_bytes(&point).map_err(bad_point)?;
            ec_spki(oid::SECP256R1, &point)?
        }
        KeyAlgorithm::EcdsaP384 => {
            let point = unwrap_point(point.ok_or_else(|| missing("CKA_EC_POINT"))?, 97)?;
            p384::PublicKey::from_sec1_bytes(&point).map_err(bad_point)?;
            ec_spki(oid::SECP384R1, &point)?
        }
        KeyAlgorithm::Ed25519 => {
            let point = unwrap_point(point.ok_or_else(|| missing("CKA_EC_POINT"))?, 32)?;
            let bytes: [u8; 32] = point
                .as_slice()
                .try_into()
                .map_err(|_| missing("32-byte Ed25519 key"))?;
            ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| {
                CryptoError::Pkcs11("the token's Ed25519 public key is not valid".into())
            })?;
            spki_der(oid::ED25519, None, &point)?
        }
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
            let modulus = modulus.ok_or_else(|| missing("CKA_MODULUS"))?;
            let exponent = exponent.ok_or_else(|| missing("CKA_PUBLIC_EXPONENT"))?;
            let bits = bit_length(modulus);
            if Some(bits) != algorithm.rsa_bits() {
                return Err(CryptoError::Pkcs11(format!(
                    "the token made a {bits} bit modulus for {algorithm}"
                )));
            }
            rsa_spki(modulus, exponent)?
        }
        KeyAlgorithm::Sm2 => {
            return Err(CryptoError::Unsupported {
                store: STORE,
                algorithm,
            });
        }
    };
    // An independent reading of what was built: the SPKI must say the same algorithm.
    let read = crate::verify::public_key_algorithm(&spki)?;
    if read != algorithm {
        return Err(CryptoError::Pkcs11(format!(
            "the public key of a {algorithm} key reads as {read}"
        )));
    }
    Ok(spki)
}

/// The algorithm of a private key object, from its key type and curve or modulus.
fn private_key_algorithm(
    session: &Session,
    private: ObjectHandle,
) -> Result<KeyAlgorithm, CryptoError> {
    let attributes = session
        .get_attributes(
            private,
            &[
                AttributeType::KeyType,
                AttributeType::EcParams,
                AttributeType::Modulus,
            ],
        )
        .map_err(p11("cannot read the private key"))?;
    let mut key_type = None;
    let mut params = None;
    let mut modulus = None;
    for attribute in &attributes {
        match attribute {
            Attribute::KeyType(t) => key_type = Some(*t),
            Attribute::EcParams(v) => params = Some(v.as_slice()),
            Attribute::Modulus(v) => modulus = Some(v.as_slice()),
            _ => {}
        }
    }
    let not_offered = |what: String| CryptoError::Invalid(format!("the token key is {what}"));
    let curve = || params.and_then(|p| ObjectIdentifier::from_der(p).ok());
    match key_type {
        Some(t) if t == KeyType::RSA => {
            let bits = modulus.map(bit_length).unwrap_or(0);
            match bits {
                2048 => Ok(KeyAlgorithm::Rsa2048),
                3072 => Ok(KeyAlgorithm::Rsa3072),
                4096 => Ok(KeyAlgorithm::Rsa4096),
                _ => Err(not_offered(format!(
                    "a {bits} bit RSA key, not one of 2048, 3072, 4096"
                ))),
            }
        }
        Some(t) if t == KeyType::EC => match curve() {
            Some(c) if c == oid::SECP256R1 => Ok(KeyAlgorithm::EcdsaP256),
            Some(c) if c == oid::SECP384R1 => Ok(KeyAlgorithm::EcdsaP384),
            Some(c) => Err(not_offered(format!("on curve {c}, which is not offered"))),
            None => Err(not_offered("on a curve not named by an OID".into())),
        },
        Some(t) if t == KeyType::EC_EDWARDS => {
            let named = params
                .and_then(|p| PrintableStringRef::from_der(p).ok())
                .is_some_and(|s| s.as_str() == "edwards25519");
            match curve() {
                Some(c) if c == oid::ED25519 || c == CURVE25519_GNU => Ok(KeyAlgorithm::Ed25519),
                _ if named => Ok(KeyAlgorithm::Ed25519),
                _ => Err(not_offered(
                    "an Edwards key on a curve other than Ed25519".into(),
                )),
            }
        }
        Some(t) => Err(not_offered(format!(
            "of key type {t}, which is not offered"
        ))),
        None => Err(CryptoError::Pkcs11(
            "the private key object has no CKA_KEY_TYPE".into(),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The store.

/// What one store knows of its token.
struct Token {
    ctx: Pkcs11,
    slot: Slot,
    label: String,
    serial: String,
    algorithms: Vec<KeyAlgorithm>,
    vendor_sm2: bool,
    idle: Mutex<Vec<Session>>,
    /// `CKA_ID`s this store destroyed, to say [`CryptoError::Destroyed`] rather than unknown.
    destroyed: Mutex<HashSet<Vec<u8>>>,
    /// Dropped last (field order): the login outlives the pooled sessions.
    _login: Arc<Login>,
}

impl Token {
    /// Runs `f` on a session of its own, from the pool or new, and returns the session to the
    /// pool unless it broke.
    fn with_session<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, CryptoError>,
    ) -> Result<T, CryptoError> {
        let pooled = lock(&self.idle).pop();
        let session = match pooled {
            Some(session) => session,
            None => self
                .ctx
                .open_rw_session(self.slot)
                .map_err(p11(format_args!(
                    "cannot open a session on token '{}'",
                    self.label
                )))?,
        };
        let result = f(&session);
        if result.is_ok() || session.get_session_info().is_ok() {
            let mut idle = lock(&self.idle);
            if idle.len() < MAX_IDLE_SESSIONS {
                idle.push(session);
            }
        }
        result
    }

    fn find(
        session: &Session,
        class: ObjectClass,
        cka_id: &[u8],
    ) -> Result<Vec<ObjectHandle>, CryptoError> {
        session
            .find_objects(&[
                Attribute::Class(class),
                Attribute::Token(true),
                Attribute::Id(cka_id.to_vec()),
            ])
            .map_err(p11("cannot search the token"))
    }

    fn generate(&self, algorithm: KeyAlgorithm, label: &str) -> Result<KeyHandle, CryptoError> {
        let mut cka_id = [0u8; CKA_ID_LEN];
        getrandom::fill(&mut cka_id).map_err(rng_failed)?;
        let curve = |c: ObjectIdentifier| c.to_der().map_err(der_failed("curve"));
        let (mechanism, key_attributes) = match algorithm {
            KeyAlgorithm::EcdsaP256 => (
                Mechanism::EccKeyPairGen,
                vec![Attribute::EcParams(curve(oid::SECP256R1)?)],
            ),
            KeyAlgorithm::EcdsaP384 => (
                Mechanism::EccKeyPairGen,
                vec![Attribute::EcParams(curve(oid::SECP384R1)?)],
            ),
            KeyAlgorithm::Ed25519 => (
                Mechanism::EccEdwardsKeyPairGen,
                vec![Attribute::EcParams(curve(oid::ED25519)?)],
            ),
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let bits = algorithm.rsa_bits().unwrap_or(0);
                let bits = Ulong::new(bits.try_into().map_err(|_| {
                    CryptoError::Pkcs11("the modulus size does not fit a CK_ULONG".into())
                })?);
                (
                    Mechanism::RsaPkcsKeyPairGen,
                    vec![
                        Attribute::ModulusBits(bits),
                        Attribute::PublicExponent(RSA_PUBLIC_EXPONENT.to_vec()),
                    ],
                )
            }
            KeyAlgorithm::Sm2 => {
                return Err(CryptoError::Unsupported {
                    store: STORE,
                    algorithm,
                });
            }
        };
        let common = [
            Attribute::Token(true),
            Attribute::Id(cka_id.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let mut public = common.to_vec();
        public.extend([Attribute::Private(false), Attribute::Verify(true)]);
        public.extend(key_attributes);
        let mut private = common.to_vec();
        private.extend([
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Decrypt(false),
            Attribute::Unwrap(false),
            Attribute::Derive(false),
        ]);
        let spki = self.with_session(|session| {
            let (public, private) = session
                .generate_key_pair(&mechanism, &public, &private)
                .map_err(p11(format_args!("{algorithm} key generation on the token")))?;
            let checked = Self::check_private(session, private)
                .and_then(|()| public_key_info(session, public, algorithm));
            if checked.is_err() {
                // Leave no half-made key behind; the first error is the one to report.
                let _ = session.destroy_object(private);
                let _ = session.destroy_object(public);
            }
            checked
        })?;
        Ok(KeyHandle {
            id: key_id(&cka_id),
            algorithm,
            public_key_der: spki,
            token_serial: Some(self.serial.clone()),
        })
    }

    /// The token must have made the private key as asked: sensitive and not extractable.
    fn check_private(session: &Session, private: ObjectHandle) -> Result<(), CryptoError> {
        let attributes = session
            .get_attributes(
                private,
                &[AttributeType::Sensitive, AttributeType::Extractable],
            )
            .map_err(p11("cannot read the new private key"))?;
        if !attributes.contains(&Attribute::Sensitive(true))
            || !attributes.contains(&Attribute::Extractable(false))
        {
            return Err(CryptoError::Pkcs11(
                "the token did not make the private key sensitive and non-extractable".into(),
            ));
        }
        Ok(())
    }

    fn signer(self: &Arc<Self>, id: &KeyId) -> Result<Pkcs11Signer, CryptoError> {
        let unknown = || CryptoError::UnknownKey(id.to_string());
        let cka_id = cka_id(id).ok_or_else(unknown)?;
        let (key, algorithm, public_key_der) = self.with_session(|session| {
            let key = match Self::find(session, ObjectClass::PRIVATE_KEY, &cka_id)?.as_slice() {
                [key] => *key,
                [] if lock(&self.destroyed).contains(&cka_id) => {
                    return Err(CryptoError::Destroyed(id.to_string()));
                }
                [] => return Err(unknown()),
                more => {
                    return Err(CryptoError::Pkcs11(format!(
                        "{} private keys on the token have the CKA_ID of {id}",
                        more.len()
                    )));
                }
            };
            let algorithm = private_key_algorithm(session, key)?;
            let public = Self::find(session, ObjectClass::PUBLIC_KEY, &cka_id)?
                .first()
                .copied()
                .ok_or_else(|| {
                    CryptoError::Pkcs11(format!("the public key object of {id} is missing"))
                })?;
            let spki = public_key_info(session, public, algorithm)?;
            Ok((key, algorithm, spki))
        })?;
        Ok(Pkcs11Signer {
            token: Arc::clone(self),
            id: id.clone(),
            key,
            algorithm,
            public_key_der,
        })
    }

    fn destroy(&self, id: &KeyId) -> Result<(), CryptoError> {
        let cka_id = cka_id(id).ok_or_else(|| CryptoError::UnknownKey(id.to_string()))?;
        lock(&self.destroyed).insert(cka_id.clone());
        self.with_session(|session| {
            // The private key first: once it is gone the key cannot sign, whatever follows.
            for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
                for object in Self::find(session, class, &cka_id)? {
                    match session.destroy_object(object) {
                        Ok(()) => {}
                        // Destroyed meanwhile by another caller.
                        Err(e) if rv_of(&e) == Some(RvError::ObjectHandleInvalid) => {}
                        Err(e) => return Err(p11(format_args!("cannot destroy {id}"))(e)),
                    }
                }
            }
            Ok(())
        })
    }
}

/// A key store on a PKCS#11 token (module documentation).
pub struct Pkcs11KeyStore {
    token: Arc<Token>,
}

impl fmt::Debug for Pkcs11KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11KeyStore")
            .field("token_label", &self.token.label)
            .field("token_serial", &self.token.serial)
            .finish()
    }
}

impl Pkcs11KeyStore {
    /// Loads and initializes the module (once per process), finds the token labelled
    /// `config.token_label`, and logs in as its user. Errors name the module and the label,
    /// never the PIN.
    pub fn open(config: &Pkcs11Config) -> Result<Self, CryptoError> {
        let label = config.token_label.as_str();
        let mut modules = lock(modules());
        let key = config
            .module
            .canonicalize()
            .unwrap_or_else(|_| config.module.clone());
        let module = match modules.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(Module::load(&config.module)?),
        };
        let ctx = module.ctx.clone();
        let slot = find_token(&ctx, label, &config.module)?;
        let info = ctx
            .get_token_info(slot)
            .map_err(p11(format_args!("cannot read token '{label}'")))?;
        let serial = info.serial_number().trim().to_owned();
        let token_key = format!("{}/{serial}", slot.id());
        let check = pin_check(&token_key, &config.pin)?;
        let login = match module.logins.get(&token_key) {
            Some(login) if same(&login.pin_check, &check) => Arc::clone(login),
            Some(_) => return Err(pin_incorrect(label)),
            None => {
                let session = log_in(&ctx, slot, label, &config.pin)?;
                let login = Arc::new(Login {
                    _session: Mutex::new(session),
                    pin_check: check,
                });
                module.logins.insert(token_key, Arc::clone(&login));
                login
            }
        };
        drop(modules);

        let mechanisms = ctx.get_mechanism_list(slot).map_err(p11(format_args!(
            "cannot list the mechanisms of token '{label}'"
        )))?;
        let algorithms = supported_algorithms(&mechanisms, |mechanism, bits| {
            match ctx.get_mechanism_info(slot, mechanism) {
                // A maximum of 0 states no range.
                Ok(info) => {
                    info.max_key_size() == 0
                        || (info.min_key_size() <= bits && bits <= info.max_key_size())
                }
                Err(_) => false,
            }
        });
        // cryptoki's mechanism list leaves out vendor-defined codes: ask about them one by one.
        let vendor_sm2 = VENDOR_SM2_MECHANISMS.into_iter().any(|code| {
            MechanismType::new_vendor_defined(code)
                .is_ok_and(|m| ctx.get_mechanism_info(slot, m).is_ok())
        });
        Ok(Self {
            token: Arc::new(Token {
                ctx,
                slot,
                label: label.to_owned(),
                serial,
                algorithms,
                vendor_sm2,
                idle: Mutex::new(Vec::new()),
                destroyed: Mutex::new(HashSet::new()),
                _login: login,
            }),
        })
    }

    /// The token's label.
    pub fn token_label(&self) -> &str {
        &self.token.label
    }

    /// The token's serial number (`C_GetTokenInfo`, trimmed), recorded with certificates.
    pub fn token_serial(&self) -> &str {
        &self.token.serial
    }

    /// The algorithms this token offers, as read from its mechanism list.
    pub fn algorithms(&self) -> &[KeyAlgorithm] {
        &self.token.algorithms
    }

    /// Whether the token answers for the common vendor SM2 mechanism codes. Information for the
    /// operator (SM2 keys stay in the software store either way: module documentation).
    pub fn lists_vendor_sm2(&self) -> bool {
        self.token.vendor_sm2
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CryptoError> + Send + 'static,
) -> Result<T, CryptoError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CryptoError::Pkcs11(format!("PKCS#11 task: {e}")))?
}

#[async_trait]
impl KeyStore for Pkcs11KeyStore {
    fn backend(&self) -> &'static str {
        STORE
    }

    fn supports(&self, algorithm: KeyAlgorithm) -> bool {
        self.token.algorithms.contains(&algorithm)
    }

    async fn generate(
        &self,
        algorithm: KeyAlgorithm,
        label: &str,
    ) -> Result<KeyHandle, CryptoError> {
        if !self.supports(algorithm) {
            return Err(CryptoError::Unsupported {
                store: STORE,
                algorithm,
            });
        }
        let token = Arc::clone(&self.token);
        let label = label.to_owned();
        blocking(move || token.generate(algorithm, &label)).await
    }

    async fn signer(&self, id: &KeyId) -> Result<Arc<dyn Signer>, CryptoError> {
        let token = Arc::clone(&self.token);
        let id = id.clone();
        let signer = blocking(move || token.signer(&id)).await?;
        Ok(Arc::new(signer))
    }

    async fn destroy(&self, id: &KeyId) -> Result<(), CryptoError> {
        let token = Arc::clone(&self.token);
        let id = id.clone();
        blocking(move || token.destroy(&id)).await
    }
}

/// A private key on the token that signs there.
pub struct Pkcs11Signer {
    token: Arc<Token>,
    id: KeyId,
    key: ObjectHandle,
    algorithm: KeyAlgorithm,
    public_key_der: Vec<u8>,
}

impl fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pkcs11Signer({}, {})", self.id, self.algorithm)
    }
}

impl Pkcs11Signer {
    fn sign_on_token(&self, mechanism: &Mechanism, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.token.with_session(|session| {
            session
                .sign(mechanism, self.key, data)
                .map_err(|e| match rv_of(&e) {
                    Some(RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid) => {
                        CryptoError::Destroyed(self.id.to_string())
                    }
                    _ => p11(format_args!("signing with {}", self.id))(e),
                })
        })
    }
}

impl Signer for Pkcs11Signer {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let malformed = |_| {
            CryptoError::Signing(format!(
                "the token returned a malformed {} signature",
                self.algorithm
            ))
        };
        let signature = match self.algorithm {
            // CKM_ECDSA signs a digest and returns r ‖ s; X.509 carries SEQUENCE { r, s }.
            KeyAlgorithm::EcdsaP256 => {
                let digest = sha2_011::Sha256::digest(message);
                let raw = self.sign_on_token(&Mechanism::Ecdsa, &digest)?;
                p256::ecdsa::Signature::from_slice(&raw)
                    .map_err(malformed)?
                    .to_der()
                    .as_bytes()
                    .to_vec()
            }
            KeyAlgorithm::EcdsaP384 => {
                let digest = sha2_011::Sha384::digest(message);
                let raw = self.sign_on_token(&Mechanism::Ecdsa, &digest)?;
                p384::ecdsa::Signature::from_slice(&raw)
                    .map_err(malformed)?
                    .to_der()
                    .as_bytes()
                    .to_vec()
            }
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                self.sign_on_token(&Mechanism::Sha256RsaPkcs, message)?
            }
            KeyAlgorithm::Ed25519 => self.sign_on_token(
                &Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
                message,
            )?,
            KeyAlgorithm::Sm2 => {
                return Err(CryptoError::Unsupported {
                    store: STORE,
                    algorithm: self.algorithm,
                });
            }
        };
        // Verify before release (module documentation).
        crate::verify::verify_signature(
            &self.public_key_der,
            self.algorithm.signature_oid(),
            message,
            &signature,
        )
        .map_err(|_| {
            CryptoError::Signing(format!(
                "the token's signature with {} does not verify against its public key",
                self.id
            ))
        })?;
        Ok(signature)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;

    const TOKEN_LABEL: &str = "yinxin-test";
    const USER_PIN: &str = "1234";

    /// The test token, from the environment `scripts/test` sets. Never skips.
    fn config() -> Pkcs11Config {
        let how = "run `export SOFTHSM2_CONF=$(scripts/ensure-softhsm | tail -n 1) \
                   TEST_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so` first \
                   (scripts/test does)";
        let module = std::env::var_os("TEST_PKCS11_MODULE")
            .unwrap_or_else(|| panic!("TEST_PKCS11_MODULE is not set: {how}"));
        assert!(
            std::env::var_os("SOFTHSM2_CONF").is_some(),
            "SOFTHSM2_CONF is not set: {how}"
        );
        Pkcs11Config {
            module: module.into(),
            token_label: TOKEN_LABEL.into(),
            pin: Zeroizing::new(USER_PIN.into()),
        }
    }

    fn open() -> Pkcs11KeyStore {
        Pkcs11KeyStore::open(&config()).unwrap()
    }

    fn unique_label(what: &str) -> String {
        format!("yinxin-test/{what}/{}", uuid::Uuid::new_v4())
    }

    fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs")
    }

    /// `openssl pkey -text` of a DER SubjectPublicKeyInfo, which must parse.
    fn openssl_text(spki: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("spki.der"), spki).unwrap();
        let out = openssl(
            &[
                "pkey", "-pubin", "-inform", "DER", "-in", "spki.der", "-text", "-noout",
            ],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "openssl cannot read the SPKI: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Whether OpenSSL accepts `signature` over `message` by the key `spki`.
    fn openssl_verifies(
        algorithm: KeyAlgorithm,
        spki: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("spki.der"), spki).unwrap();
        std::fs::write(dir.path().join("msg"), message).unwrap();
        std::fs::write(dir.path().join("sig"), signature).unwrap();
        let pem = openssl(
            &[
                "pkey", "-pubin", "-inform", "DER", "-in", "spki.der", "-out", "pub.pem",
            ],
            dir.path(),
        );
        assert!(
            pem.status.success(),
            "{}",
            String::from_utf8_lossy(&pem.stderr)
        );
        let dgst = |digest: &str| {
            openssl(
                &[
                    "dgst",
                    digest,
                    "-verify",
                    "pub.pem",
                    "-signature",
                    "sig",
                    "msg",
                ],
                dir.path(),
            )
        };
        let out = match algorithm {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::Rsa2048 => dgst("-sha256"),
            KeyAlgorithm::EcdsaP384 => dgst("-sha384"),
            KeyAlgorithm::Ed25519 => openssl(
                &[
                    "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg",
                    "-sigfile", "sig",
                ],
                dir.path(),
            ),
            other => panic!("no OpenSSL check for {other} here"),
        };
        out.status.success()
    }

    async fn signs_on_the_token_and_openssl_verifies(algorithm: KeyAlgorithm, text: &[&str]) {
        let store = open();
        assert_eq!(store.backend(), "pkcs11");
        assert!(
            store.supports(algorithm),
            "{algorithm}: {:?}",
            store.algorithms()
        );
        let handle = store
            .generate(algorithm, &unique_label(algorithm.as_str()))
            .await
            .unwrap();
        assert_eq!(handle.algorithm, algorithm);
        assert!(handle.id.as_str().starts_with("p11:"), "{:?}", handle.id);
        assert_eq!(handle.id.as_str().len(), 4 + 2 * CKA_ID_LEN);
        let serial = handle.token_serial.clone().unwrap();
        assert!(!serial.is_empty() && serial == serial.trim());
        assert_eq!(serial, store.token_serial());

        let printed = openssl_text(&handle.public_key_der);
        for expected in text {
            assert!(printed.contains(expected), "{expected:?} not in\n{printed}");
        }

        let signer = store.signer(&handle.id).await.unwrap();
        assert_eq!(signer.algorithm(), algorithm);
        assert_eq!(signer.public_key_der(), handle.public_key_der.as_slice());
        let message = format!("a {algorithm} signature made on the token").into_bytes();
        let signature = signer.sign(&message).unwrap();
        assert!(openssl_verifies(
            algorithm,
            &handle.public_key_der,
            &message,
            &signature
        ));
        let mut tampered = message.clone();
        tampered[0] ^= 1;
        assert!(!openssl_verifies(
            algorithm,
            &handle.public_key_der,
            &tampered,
            &signature
        ));
        store.destroy(&handle.id).await.unwrap();
    }

    #[tokio::test]
    async fn p256_signs_on_the_token_and_openssl_verifies() {
        signs_on_the_token_and_openssl_verifies(
            KeyAlgorithm::EcdsaP256,
            &["Public-Key: (256 bit)", "ASN1 OID: prime256v1"],
        )
        .await;
    }

    #[tokio::test]
    async fn p384_signs_on_the_token_and_openssl_verifies() {
        signs_on_the_token_and_openssl_verifies(
            KeyAlgorithm::EcdsaP384,
            &["Public-Key: (384 bit)", "ASN1 OID: secp384r1"],
        )
        .await;
    }

    #[tokio::test]
    async fn rsa2048_signs_on_the_token_and_openssl_verifies() {
        signs_on_the_token_and_openssl_verifies(
            KeyAlgorithm::Rsa2048,
            &["Public-Key: (2048 bit)", "Exponent: 65537 (0x10001)"],
        )
        .await;
    }

    #[tokio::test]
    async fn ed25519_signs_on_the_token_and_openssl_verifies() {
        signs_on_the_token_and_openssl_verifies(KeyAlgorithm::Ed25519, &["ED25519 Public-Key:"])
            .await;
    }

    #[tokio::test]
    async fn softhsm_offers_the_standard_algorithms_and_not_sm2() {
        let store = open();
        assert_eq!(
            store.algorithms(),
            &[
                KeyAlgorithm::EcdsaP256,
                KeyAlgorithm::EcdsaP384,
                KeyAlgorithm::Rsa2048,
                KeyAlgorithm::Rsa3072,
                KeyAlgorithm::Rsa4096,
                KeyAlgorithm::Ed25519,
            ]
        );
        assert!(!store.supports(KeyAlgorithm::Sm2));
        assert!(!store.lists_vendor_sm2());
        let err = store
            .generate(KeyAlgorithm::Sm2, &unique_label("sm2"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CryptoError::Unsupported {
                    store: "pkcs11",
                    algorithm: KeyAlgorithm::Sm2
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn supports_follows_the_mechanism_list() {
        let all = [
            MechanismType::ECC_KEY_PAIR_GEN,
            MechanismType::ECDSA,
            MechanismType::RSA_PKCS_KEY_PAIR_GEN,
            MechanismType::SHA256_RSA_PKCS,
            MechanismType::ECC_EDWARDS_KEY_PAIR_GEN,
            MechanismType::EDDSA,
        ];
        assert_eq!(supported_algorithms(&all, |_, _| true).len(), 6);
        let no_eddsa = &all[..5];
        assert!(!supported_algorithms(no_eddsa, |_, _| true).contains(&KeyAlgorithm::Ed25519));
        let no_rsa_sign: Vec<_> = all
            .iter()
            .copied()
            .filter(|m| *m != MechanismType::SHA256_RSA_PKCS)
            .collect();
        assert_eq!(
            supported_algorithms(&no_rsa_sign, |_, _| true),
            [
                KeyAlgorithm::EcdsaP256,
                KeyAlgorithm::EcdsaP384,
                KeyAlgorithm::Ed25519
            ]
        );
        // A token whose RSA generation stops at 2048 bits.
        let small = supported_algorithms(&all, |m, bits| {
            m != MechanismType::RSA_PKCS_KEY_PAIR_GEN || bits <= 2048
        });
        assert!(small.contains(&KeyAlgorithm::Rsa2048));
        assert!(!small.contains(&KeyAlgorithm::Rsa3072));
        assert!(supported_algorithms(&[], |_, _| true).is_empty());
    }

    #[tokio::test]
    async fn the_private_key_is_sensitive_not_extractable_and_labelled() {
        let store = open();
        let label = unique_label("attributes");
        let handle = store
            .generate(KeyAlgorithm::EcdsaP256, &label)
            .await
            .unwrap();
        let id = cka_id(&handle.id).unwrap();
        let attributes = store
            .token
            .with_session(|session| {
                let key = Token::find(session, ObjectClass::PRIVATE_KEY, &id)?;
                assert_eq!(key.len(), 1);
                let read = session
                    .get_attributes(
                        key[0],
                        &[
                            AttributeType::Token,
                            AttributeType::Private,
                            AttributeType::Sensitive,
                            AttributeType::Extractable,
                            AttributeType::AlwaysSensitive,
                            AttributeType::NeverExtractable,
                            AttributeType::Sign,
                            AttributeType::Label,
                            AttributeType::Value,
                        ],
                    )
                    .unwrap();
                Ok(read)
            })
            .unwrap();
        let flag = |want: AttributeType| {
            attributes
                .iter()
                .find(|a| a.attribute_type() == want)
                .map(|a| match a {
                    Attribute::Token(b)
                    | Attribute::Private(b)
                    | Attribute::Sensitive(b)
                    | Attribute::Extractable(b)
                    | Attribute::AlwaysSensitive(b)
                    | Attribute::NeverExtractable(b)
                    | Attribute::Sign(b) => *b,
                    other => panic!("{other:?}"),
                })
                .unwrap_or_else(|| panic!("{want:?} not read"))
        };
        assert!(flag(AttributeType::Token));
        assert!(flag(AttributeType::Private));
        assert!(flag(AttributeType::Sensitive));
        assert!(!flag(AttributeType::Extractable));
        assert!(flag(AttributeType::AlwaysSensitive));
        assert!(flag(AttributeType::NeverExtractable));
        assert!(flag(AttributeType::Sign));
        assert!(attributes.contains(&Attribute::Label(label.into_bytes())));
        // The private value cannot be read: the token answers CKR_ATTRIBUTE_SENSITIVE.
        assert!(
            !attributes
                .iter()
                .any(|a| a.attribute_type() == AttributeType::Value),
            "{attributes:?}"
        );
        store.destroy(&handle.id).await.unwrap();
    }

    #[tokio::test]
    async fn a_destroyed_key_has_no_signer_and_destroy_twice_is_fine() {
        let store = open();
        let handle = store
            .generate(KeyAlgorithm::Ed25519, &unique_label("destroy"))
            .await
            .unwrap();
        let early = store.signer(&handle.id).await.unwrap();
        early.sign(b"before").unwrap();
        store.destroy(&handle.id).await.unwrap();
        store.destroy(&handle.id).await.unwrap();
        let err = store.signer(&handle.id).await.unwrap_err();
        assert!(matches!(err, CryptoError::Destroyed(_)), "{err:?}");
        let err = early.sign(b"after").unwrap_err();
        assert!(matches!(err, CryptoError::Destroyed(_)), "{err:?}");
        // Both objects are gone from the token, so another store does not know the key.
        let other = open();
        let err = other.signer(&handle.id).await.unwrap_err();
        assert!(matches!(err, CryptoError::UnknownKey(_)), "{err:?}");
        let id = cka_id(&handle.id).unwrap();
        let left = other
            .token
            .with_session(|session| {
                Ok(session
                    .find_objects(&[Attribute::Token(true), Attribute::Id(id)])
                    .unwrap())
            })
            .unwrap();
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn unknown_ids_are_unknown_keys() {
        let store = open();
        let mut random = [0u8; CKA_ID_LEN];
        getrandom::fill(&mut random).unwrap();
        for id in [
            key_id(&random),
            KeyId::new("p11:"),
            KeyId::new("p11:abc"),
            KeyId::new("p11:ABCD"),
            KeyId::new("p11:zz"),
            KeyId::new("sw:0190f3a1-0000-7000-8000-000000000000"),
        ] {
            let err = store.signer(&id).await.unwrap_err();
            assert!(matches!(err, CryptoError::UnknownKey(_)), "{id}: {err:?}");
        }
        assert!(matches!(
            store.destroy(&KeyId::new("sw:x")).await,
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn a_wrong_pin_fails_without_revealing_it() {
        let pin = "wrong-pin-7319";
        let mut config = config();
        config.pin = Zeroizing::new(pin.into());
        let err = Pkcs11KeyStore::open(&config).unwrap_err();
        assert!(matches!(err, CryptoError::Pkcs11(_)), "{err:?}");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("PIN is incorrect"), "{shown}");
        assert!(!shown.contains(pin), "{shown}");
        assert!(!format!("{config:?}").contains(pin));
        // The right PIN still opens (the token is not locked by the failure).
        open();
    }

    #[test]
    fn an_absent_token_is_named() {
        let mut config = config();
        config.token_label = "no-such-token".into();
        let err = Pkcs11KeyStore::open(&config).unwrap_err().to_string();
        assert!(err.contains("'no-such-token'"), "{err}");
        assert!(err.contains("'yinxin-test'"), "{err}");
        assert!(!err.contains(USER_PIN), "{err}");
    }

    #[test]
    fn a_missing_module_is_named() {
        let mut config = config();
        config.module = "/nonexistent/libpkcs11.so".into();
        let err = Pkcs11KeyStore::open(&config).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/libpkcs11.so"), "{err}");
    }

    #[test]
    fn config_debug_hides_the_pin() {
        let config = Pkcs11Config {
            module: "/m.so".into(),
            token_label: "t".into(),
            pin: Zeroizing::new("s3cret-pin".into()),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret-pin"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("/m.so"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn a_second_open_signs_with_the_same_key() {
        let first = open();
        let handle = first
            .generate(KeyAlgorithm::EcdsaP384, &unique_label("reopen"))
            .await
            .unwrap();
        drop(first);
        let second = open();
        let signer = second.signer(&handle.id).await.unwrap();
        assert_eq!(signer.algorithm(), KeyAlgorithm::EcdsaP384);
        assert_eq!(signer.public_key_der(), handle.public_key_der.as_slice());
        let signature = signer.sign(b"after a restart").unwrap();
        assert!(openssl_verifies(
            KeyAlgorithm::EcdsaP384,
            &handle.public_key_der,
            b"after a restart",
            &signature
        ));
        second.destroy(&handle.id).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_signers_from_many_tasks() {
        let store = Arc::new(open());
        let (label_a, label_b) = (unique_label("concurrent-a"), unique_label("concurrent-b"));
        let (a, b) = tokio::join!(
            store.generate(KeyAlgorithm::EcdsaP256, &label_a),
            store.generate(KeyAlgorithm::Ed25519, &label_b),
        );
        let keys = [a.unwrap(), b.unwrap()];
        let mut tasks = Vec::new();
        for task in 0..8 {
            let store = Arc::clone(&store);
            let key = keys[task % 2].clone();
            tasks.push(tokio::spawn(async move {
                let signer = store.signer(&key.id).await.unwrap();
                for n in 0..10 {
                    let message = format!("task {task} message {n}");
                    let signature = signer.sign(message.as_bytes()).unwrap();
                    crate::verify::verify_signature(
                        &key.public_key_der,
                        key.algorithm.signature_oid(),
                        message.as_bytes(),
                        &signature,
                    )
                    .unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        for key in &keys {
            store.destroy(&key.id).await.unwrap();
        }
    }

    #[test]
    fn points_are_read_bare_or_wrapped() {
        let point = [4u8; 65];
        assert_eq!(unwrap_point(&point, 65).unwrap(), point);
        let wrapped = OctetString::new(point.to_vec()).unwrap().to_der().unwrap();
        assert_eq!(unwrap_point(&wrapped, 65).unwrap(), point);
        assert!(unwrap_point(&wrapped, 97).is_err());
        assert!(unwrap_point(&[1, 2, 3], 32).is_err());
    }

    #[test]
    fn ids_round_trip_and_bits_count() {
        let id = key_id(&[0x00, 0xab, 0xff]);
        assert_eq!(id.as_str(), "p11:00abff");
        assert_eq!(cka_id(&id).unwrap(), [0x00, 0xab, 0xff]);
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[0x00]), 0);
    }
}
