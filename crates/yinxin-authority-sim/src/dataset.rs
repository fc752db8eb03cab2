//! The synthetic dataset: persons and enterprises as a user would present them (the fixtures),
//! and what the simulated authorities hold about them (the records the answers come from).
//!
//! Everything is generated from a seed, deterministically, and checked by the domain's own
//! validators: resident ID numbers have a real region code, a birth date and a valid check
//! character; mobiles have an allocated mainland prefix; card numbers are Luhn-valid UnionPay-style
//! `62…`; credit codes have valid organization-code and USCC check characters. None of it belongs
//! to a real person or enterprise. Images are small greyscale PNGs drawn from the person's seed.
//!
//! A few entries are deliberately wrong, each with a `note`: a mobile registered to someone else,
//! a card whose bank-reserved mobile differs, a live face that is someone else's, an ID number with
//! a valid check character but no record, an enterprise whose registered legal representative is
//! not the one claimed, and a corporate account held under another name.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use yinxin_domain::image::encode_png_gray;
use yinxin_domain::validate::{self, CivilDate};

/// How many persons the dataset has.
pub const PERSONS: usize = 20;
/// How many enterprises the dataset has.
pub const ENTERPRISES: usize = 5;

/// Person whose mobile is registered (real-name) to person [`MOBILE_HOLDER`].
pub const MOBILE_ELSEWHERE: usize = 4;
/// The real-name holder of [`MOBILE_ELSEWHERE`]'s mobile.
pub const MOBILE_HOLDER: usize = 9;
/// Person whose bank holds another reserved mobile than the one they give.
pub const RESERVED_MOBILE_DIFFERS: usize = 7;
/// Person whose "live face" image is someone else's ([`FACE_OWNER`]'s).
pub const FACE_OF_ANOTHER: usize = 11;
/// Whose face [`FACE_OF_ANOTHER`]'s live image shows.
pub const FACE_OWNER: usize = 12;
/// Person whose ID number has a valid check character but no record anywhere.
pub const NO_RECORD: usize = 19;
/// Enterprise whose registered legal representative is not the one a user claims.
pub const LEGAL_REP_DIFFERS: usize = 3;
/// Enterprise whose corporate account is held under another name.
pub const ACCOUNT_NAME_DIFFERS: usize = 4;

/// Width and height of the photos (authoritative photo and live face).
pub const PHOTO_SIDE: u32 = 48;
/// Width of the ID card images.
pub const CARD_WIDTH: u32 = 96;
/// Height of the ID card images.
pub const CARD_HEIGHT: u32 = 60;

/// Which face of the ID card an image shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CardSide {
    /// Portrait face (name, sex, ethnicity, birth, address, number).
    Front,
    /// National-emblem face (authority, validity).
    Back,
}

/// What a test expects each check of a person to come to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonExpectations {
    /// Carrier three-factor check: `match` or `mismatch`.
    pub carrier: &'static str,
    /// Bank-card four-factor check with `card_number` and `reserved_mobile`.
    pub bank_card: &'static str,
    /// Face comparison of `live_face` and `photo`.
    pub face: &'static str,
    /// ID card capture of `id_card_front` and `id_card_back`: `read`.
    pub id_card_capture: &'static str,
}

/// A synthetic person, with the values a user would submit.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    /// Position in the dataset.
    pub index: usize,
    /// 姓名.
    pub name: String,
    /// 公民身份号码 (valid check character).
    pub id_number: String,
    /// 性别 as printed (男 / 女).
    pub sex: &'static str,
    /// 民族 as printed (汉, 回, …).
    pub ethnicity: &'static str,
    /// 出生 as printed, e.g. `1990/3/7`.
    pub birth: String,
    /// 住址.
    pub address: String,
    /// 签发机关.
    pub authority: String,
    /// 有效期限, e.g. `2016.05.11-2036.05.11` or `2001.02.03-长期`.
    pub valid_date: String,
    /// Mobile the person gives for the carrier check.
    pub mobile: String,
    /// Bank card number (UnionPay-style, Luhn-valid).
    pub card_number: String,
    /// Bank-reserved mobile the person gives for the bank-card check.
    pub reserved_mobile: String,
    /// The authoritative photo (PNG), also usable as the document photo.
    #[serde(serialize_with = "as_base64")]
    pub photo: Vec<u8>,
    /// A live face image (PNG) of this person (a noisy copy of the photo), except for the
    /// deliberate mismatch.
    #[serde(serialize_with = "as_base64")]
    pub live_face: Vec<u8>,
    /// ID card portrait face (PNG), read by `IDCardOCR` with `CardSide` FRONT.
    #[serde(serialize_with = "as_base64")]
    pub id_card_front: Vec<u8>,
    /// ID card emblem face (PNG), read with `CardSide` BACK.
    #[serde(serialize_with = "as_base64")]
    pub id_card_back: Vec<u8>,
    /// Why this person's checks do not all match, if they do not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What each check should answer.
    pub expected: PersonExpectations,
}

/// What a test expects each check of an enterprise to come to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnterpriseExpectations {
    /// Enterprise information check: `match` or `mismatch`.
    pub enterprise: &'static str,
    /// Deposit to `account_number` under `account_name`: `sent` or `mismatch`.
    pub deposit: &'static str,
}

/// A synthetic enterprise, with the values a user would submit.
#[derive(Clone, Debug, Serialize)]
pub struct Enterprise {
    /// Position in the dataset.
    pub index: usize,
    /// Registered name.
    pub name: String,
    /// Unified social credit code (valid check characters).
    pub credit_code: String,
    /// Legal representative's name, as the user claims it.
    pub legal_rep_name: String,
    /// Legal representative's resident ID number, as the user claims it.
    pub legal_rep_id_number: String,
    /// Index of the claimed legal representative among the persons.
    pub legal_rep_person: usize,
    /// Account holder name to send with the deposit (the registered name).
    pub account_name: String,
    /// Corporate bank account number.
    pub account_number: String,
    /// Why this enterprise's checks do not all match, if they do not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What each check should answer.
    pub expected: EnterpriseExpectations,
}

/// The fixtures: persons and enterprises, deterministic in `seed`.
#[derive(Clone, Debug, Serialize)]
pub struct Dataset {
    /// The seed they were generated from.
    pub seed: u64,
    /// Synthetic persons.
    pub persons: Vec<Person>,
    /// Synthetic enterprises.
    pub enterprises: Vec<Enterprise>,
}

impl Dataset {
    /// A person by index.
    pub fn person(&self, index: usize) -> Option<&Person> {
        self.persons.get(index)
    }

    /// An enterprise by index.
    pub fn enterprise(&self, index: usize) -> Option<&Enterprise> {
        self.enterprises.get(index)
    }
}

fn as_base64<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// What the resident-ID authority holds under a number.
#[derive(Clone, Debug)]
pub(crate) struct CitizenRecord {
    pub name: String,
    pub photo: Vec<u8>,
}

/// Who a mobile is registered to (real name), at the carrier.
#[derive(Clone, Debug)]
pub(crate) struct SubscriberRecord {
    pub name: String,
    pub id_number: String,
}

/// What the issuing bank holds for a card.
#[derive(Clone, Debug)]
pub(crate) struct CardRecord {
    pub name: String,
    pub id_number: String,
    pub reserved_mobile: String,
}

/// What an ID card image says, for the OCR engine (looked up by the image's SHA-256).
#[derive(Clone, Debug)]
pub(crate) struct CardImageRecord {
    pub side: CardSide,
    pub person: usize,
}

/// What the enterprise registry holds under a credit code.
#[derive(Clone, Debug)]
pub(crate) struct RegistryRecord {
    pub name: String,
    pub legal_rep_name: String,
    pub legal_rep_id_number: String,
}

/// The authorities' records the simulator answers from.
#[derive(Clone, Debug, Default)]
pub(crate) struct Records {
    pub citizens: HashMap<String, CitizenRecord>,
    pub subscribers: HashMap<String, SubscriberRecord>,
    pub cards: HashMap<String, CardRecord>,
    pub card_images: HashMap<[u8; 32], CardImageRecord>,
    pub registry: HashMap<String, RegistryRecord>,
    /// Corporate account number → holder name.
    pub accounts: HashMap<String, String>,
}

/// The fixtures for `seed` (deterministic).
pub fn dataset(seed: u64) -> Dataset {
    build(seed).0
}

/// A small deterministic generator (SplitMix64): the dataset must not change between runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n.max(1)).unwrap_or(u64::MAX);
        usize::try_from(self.next() % n).unwrap_or(0)
    }

    fn pick<T: Copy>(&mut self, items: &[T], fallback: T) -> T {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or(fallback)
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + u8::try_from(self.below(10)).unwrap_or(0)))
            .collect()
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes().first().copied().unwrap_or(0)
    }
}

/// Real county-level codes (GB/T 2260), the place they name, and the police office that issues ID
/// cards there.
const REGIONS: [(&str, &str, &str); 16] = [
    ("110101", "北京市东城区", "北京市公安局东城分局"),
    ("310104", "上海市徐汇区", "上海市公安局徐汇分局"),
    ("440305", "广东省深圳市南山区", "深圳市公安局南山分局"),
    ("330106", "浙江省杭州市西湖区", "杭州市公安局西湖分局"),
    ("510107", "四川省成都市武侯区", "成都市公安局武侯区分局"),
    ("420106", "湖北省武汉市武昌区", "武汉市公安局武昌区分局"),
    ("320102", "江苏省南京市玄武区", "南京市公安局玄武分局"),
    ("610113", "陕西省西安市雁塔区", "西安市公安局雁塔分局"),
    ("370202", "山东省青岛市市南区", "青岛市公安局市南分局"),
    ("500103", "重庆市渝中区", "重庆市公安局渝中区分局"),
    ("120101", "天津市和平区", "天津市公安局和平分局"),
    ("430104", "湖南省长沙市岳麓区", "长沙市公安局岳麓分局"),
    ("350203", "福建省厦门市思明区", "厦门市公安局思明分局"),
    ("210102", "辽宁省沈阳市和平区", "沈阳市公安局和平分局"),
    ("530102", "云南省昆明市五华区", "昆明市公安局五华分局"),
    ("410105", "河南省郑州市金水区", "郑州市公安局金水分局"),
];

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
];

const GIVEN: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "英", "华", "玉", "兰", "文", "建", "国", "志", "海", "梅", "琳",
    "雪", "晨", "宇", "欣", "怡", "浩", "然", "睿",
];

const ETHNICITIES: [&str; 6] = ["汉", "汉", "汉", "回", "满", "壮"];

const STREETS: [&str; 8] = [
    "和平路",
    "建设路",
    "人民路",
    "解放路",
    "文化路",
    "中山路",
    "新华路",
    "胜利路",
];

/// Mobile network codes allocated by MIIT (a subset).
const MOBILE_PREFIXES: [&str; 20] = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "157", "158", "177", "180", "186", "188", "199",
];

/// UnionPay-style issuer prefixes.
const CARD_PREFIXES: [&str; 5] = ["622202", "622848", "621700", "622588", "623058"];

const TRADE_NAMES: [&str; 5] = ["银杏", "青松", "远航", "星河", "和光"];
const INDUSTRIES: [&str; 5] = ["科技", "贸易", "信息技术", "文化传媒", "精密制造"];

/// The USCC alphabet (GB 32100-2015).
const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// "Today" for the validators: fixed, so the dataset does not depend on the clock.
fn today() -> CivilDate {
    CivilDate::new(2025, 6, 1).unwrap_or(CivilDate {
        year: 2025,
        month: 6,
        day: 1,
    })
}

/// `body` completed with the first of `alphabet` that `valid` accepts.
fn complete(body: &str, alphabet: &[u8], valid: impl Fn(&str) -> bool) -> Option<String> {
    alphabet.iter().find_map(|&c| {
        let candidate = format!("{body}{}", char::from(c));
        valid(&candidate).then_some(candidate)
    })
}

struct Unique(HashSet<String>);

impl Unique {
    /// Draws from `make` until it gives a value not drawn before.
    fn draw(&mut self, mut make: impl FnMut() -> Option<String>) -> String {
        loop {
            if let Some(value) = make()
                && self.0.insert(value.clone())
            {
                return value;
            }
        }
    }
}

fn mobile(rng: &mut Rng, used: &mut Unique) -> String {
    used.draw(|| {
        let number = format!("{}{}", rng.pick(&MOBILE_PREFIXES, "138"), rng.digits(8));
        validate::mainland_mobile(&number).ok()
    })
}

/// Block pattern of a face: 12 x 12 blocks of 4 x 4 pixels.
fn face_blocks(seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed ^ 0xFACE);
    (0..144).map(|_| rng.byte()).collect()
}

/// A 48 x 48 face image from `blocks`, with per-pixel noise of up to `noise` either way.
fn render_face(blocks: &[u8], noise: u8, noise_seed: u64) -> Vec<u8> {
    let mut rng = Rng(noise_seed);
    let side = PHOTO_SIDE as usize;
    let mut pixels = Vec::with_capacity(side * side);
    for y in 0..side {
        for x in 0..side {
            let base = blocks.get(y / 4 * 12 + x / 4).copied().unwrap_or(0);
            let jitter = if noise == 0 {
                0
            } else {
                i16::from(rng.byte() % (2 * noise + 1)) - i16::from(noise)
            };
            let v = (i16::from(base) + jitter).clamp(0, 255);
            pixels.push(u8::try_from(v).unwrap_or(0));
        }
    }
    encode_png_gray(PHOTO_SIDE, PHOTO_SIDE, &pixels)
}

/// An ID card face: pale background, "text" bars, and on the front the portrait.
fn render_card(side: CardSide, blocks: &[u8], seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let (w, h) = (CARD_WIDTH as usize, CARD_HEIGHT as usize);
    let mut pixels = vec![232u8; w * h];
    let mut set = |x: usize, y: usize, v: u8| {
        if let Some(p) = pixels.get_mut(y * w + x) {
            *p = v;
        }
    };
    // Text lines: six bars of random length.
    for line in 0..6 {
        let y0 = 8 + line * 8;
        let len = 16 + rng.below(40);
        for y in y0..y0 + 3 {
            for x in 6..6 + len {
                set(x, y, 40 + rng.byte() % 40);
            }
        }
    }
    match side {
        CardSide::Front => {
            // The portrait, 24 x 36, sampled from the face blocks.
            for y in 0..36 {
                for x in 0..24 {
                    let v = blocks.get(y / 3 * 12 + x / 2).copied().unwrap_or(0);
                    set(66 + x, 10 + y, v);
                }
            }
        }
        CardSide::Back => {
            // The emblem: a ring at the top right.
            for y in 0..h {
                for x in 0..w {
                    let (dx, dy) = (x as i64 - 80, y as i64 - 16);
                    if (64..=121).contains(&(dx * dx + dy * dy)) {
                        set(x, y, 120);
                    }
                }
            }
        }
    }
    encode_png_gray(CARD_WIDTH, CARD_HEIGHT, &pixels)
}

/// The SHA-256 of an image: how the OCR engine recognizes the cards it knows.
pub(crate) fn image_key(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn person_seed(seed: u64, index: usize) -> u64 {
    seed ^ (u64::try_from(index).unwrap_or(0) + 1).wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// The fixtures and the records, for `seed`.
pub(crate) fn build(seed: u64) -> (Dataset, Records) {
    let mut rng = Rng(seed);
    let mut names = Unique(HashSet::new());
    let mut numbers = Unique(HashSet::new());
    let mut records = Records::default();
    let today = today();

    let mut persons = Vec::with_capacity(PERSONS);
    for index in 0..PERSONS {
        let name = names.draw(|| {
            let given: String = (0..1 + rng.below(2))
                .map(|_| rng.pick(&GIVEN, "明"))
                .collect();
            Some(format!("{}{given}", rng.pick(&SURNAMES, "王")))
        });
        let (region, place, police) = rng.pick(&REGIONS, REGIONS[0]);
        let year = 1960 + i32::try_from(rng.below(45)).unwrap_or(0);
        let month = 1 + u8::try_from(rng.below(12)).unwrap_or(0);
        let day = 1 + u8::try_from(rng.below(28)).unwrap_or(0);
        let male = rng.below(2) == 0;
        let id_number = numbers.draw(|| {
            let sex_digit = 2 * rng.below(5) + usize::from(male);
            let body = format!(
                "{region}{year:04}{month:02}{day:02}{}{sex_digit}",
                rng.digits(2)
            );
            complete(&body, b"0123456789X", |c| {
                validate::resident_id(c, today).is_ok()
            })
        });
        // Issued (or renewed) 2016-2024; valid 10 years to 25, 20 years to 45, long-term after
        // (the terms of the Resident Identity Card Law for adults).
        let issued_year = 2016 + i32::try_from(rng.below(9)).unwrap_or(0);
        let (im, id) = (
            1 + u8::try_from(rng.below(12)).unwrap_or(0),
            1 + u8::try_from(rng.below(28)).unwrap_or(0),
        );
        let age_at_issue = issued_year - year;
        let valid_date = match age_at_issue {
            ..=25 => format!(
                "{issued_year}.{im:02}.{id:02}-{}.{im:02}.{id:02}",
                issued_year + 10
            ),
            26..=45 => format!(
                "{issued_year}.{im:02}.{id:02}-{}.{im:02}.{id:02}",
                issued_year + 20
            ),
            _ => format!("{issued_year}.{im:02}.{id:02}-长期"),
        };
        let mobile_number = mobile(&mut rng, &mut numbers);
        let card_number = numbers.draw(|| {
            let length = if rng.below(2) == 0 { 16 } else { 19 };
            let prefix = rng.pick(&CARD_PREFIXES, "622202");
            let body = format!("{prefix}{}", rng.digits(length - prefix.len() - 1));
            complete(&body, b"0123456789", |c| {
                validate::bank_card_number(c).is_ok()
            })
        });
        let blocks = face_blocks(person_seed(seed, index));
        let photo = render_face(&blocks, 0, 0);
        persons.push(Person {
            index,
            name,
            id_number,
            sex: if male { "男" } else { "女" },
            ethnicity: rng.pick(&ETHNICITIES, "汉"),
            birth: format!("{year}/{month}/{day}"),
            address: format!(
                "{place}{}{}号",
                rng.pick(&STREETS, "人民路"),
                1 + rng.below(300)
            ),
            authority: police.to_owned(),
            valid_date,
            reserved_mobile: mobile_number.clone(),
            mobile: mobile_number,
            card_number,
            photo,
            // Drawn below, once every person's face exists.
            live_face: Vec::new(),
            id_card_front: render_card(CardSide::Front, &blocks, person_seed(seed, index) ^ 1),
            id_card_back: render_card(CardSide::Back, &blocks, person_seed(seed, index) ^ 2),
            note: None,
            expected: PersonExpectations {
                carrier: "match",
                bank_card: "match",
                face: "match",
                id_card_capture: "read",
            },
        });
    }

    // Live faces: a noisy copy of the person's own face, except for the deliberate mismatch.
    for index in 0..PERSONS {
        let owner = if index == FACE_OF_ANOTHER {
            FACE_OWNER
        } else {
            index
        };
        let live = render_face(
            &face_blocks(person_seed(seed, owner)),
            40,
            person_seed(seed, index) ^ 3,
        );
        if let Some(p) = persons.get_mut(index) {
            p.live_face = live;
        }
    }

    // The authorities' records.
    let bank_held_mobile = mobile(&mut rng, &mut numbers);
    for p in &persons {
        records.card_images.insert(
            image_key(&p.id_card_front),
            CardImageRecord {
                side: CardSide::Front,
                person: p.index,
            },
        );
        records.card_images.insert(
            image_key(&p.id_card_back),
            CardImageRecord {
                side: CardSide::Back,
                person: p.index,
            },
        );
        if p.index == NO_RECORD {
            continue;
        }
        records.citizens.insert(
            p.id_number.clone(),
            CitizenRecord {
                name: p.name.clone(),
                photo: p.photo.clone(),
            },
        );
        records.subscribers.insert(
            p.mobile.clone(),
            SubscriberRecord {
                name: p.name.clone(),
                id_number: p.id_number.clone(),
            },
        );
        records.cards.insert(
            p.card_number.clone(),
            CardRecord {
                name: p.name.clone(),
                id_number: p.id_number.clone(),
                reserved_mobile: if p.index == RESERVED_MOBILE_DIFFERS {
                    bank_held_mobile.clone()
                } else {
                    p.reserved_mobile.clone()
                },
            },
        );
    }
    if let (Some(elsewhere), Some(holder)) =
        (persons.get(MOBILE_ELSEWHERE), persons.get(MOBILE_HOLDER))
    {
        records.subscribers.insert(
            elsewhere.mobile.clone(),
            SubscriberRecord {
                name: holder.name.clone(),
                id_number: holder.id_number.clone(),
            },
        );
    }
    let name_of = |i: usize| persons.get(i).map(|p| p.name.clone()).unwrap_or_default();
    type Expect = fn(&mut PersonExpectations);
    let notes: [(usize, String, Expect); 4] = [
        (
            MOBILE_ELSEWHERE,
            format!(
                "this mobile is registered (real name) to {} (person {MOBILE_HOLDER}), not to this \
                 person: the carrier check does not match",
                name_of(MOBILE_HOLDER)
            ),
            |e| e.carrier = "mismatch",
        ),
        (
            RESERVED_MOBILE_DIFFERS,
            format!(
                "the bank holds {bank_held_mobile} as this card's reserved mobile, not the one \
                 given: the bank-card check does not match"
            ),
            |e| e.bank_card = "mismatch",
        ),
        (
            FACE_OF_ANOTHER,
            format!(
                "live_face shows {} (person {FACE_OWNER}), not this person: the face comparison \
                 does not match",
                name_of(FACE_OWNER)
            ),
            |e| e.face = "mismatch",
        ),
        (
            NO_RECORD,
            "the ID number has a valid check character but no record at the authority, the \
             carrier or the bank: every check but ID card capture fails"
                .to_owned(),
            |e| {
                e.carrier = "mismatch";
                e.bank_card = "mismatch";
                e.face = "mismatch";
            },
        ),
    ];
    for (index, note, expect) in notes {
        if let Some(p) = persons.get_mut(index) {
            p.note = Some(note);
            expect(&mut p.expected);
        }
    }

    // Enterprises: legal representatives among the persons.
    let mut enterprises = Vec::with_capacity(ENTERPRISES);
    let registered_reps = [0usize, 1, 2, 6, 5];
    let claimed_reps = [0usize, 1, 2, 8, 5];
    for index in 0..ENTERPRISES {
        let (region, place, _) = REGIONS
            .get(index * 3 % REGIONS.len())
            .copied()
            .unwrap_or(REGIONS[0]);
        let city = place
            .split_once('省')
            .map_or(place, |(_, rest)| rest)
            .split('市')
            .next()
            .unwrap_or(place);
        let name = format!(
            "{city}{}{}有限公司",
            TRADE_NAMES.get(index).copied().unwrap_or("银杏"),
            INDUSTRIES.get(index).copied().unwrap_or("科技"),
        );
        let credit_code = numbers.draw(|| {
            let organization = complete(&rng.digits(8), b"0123456789X", |c| {
                validate::organization_code(c).is_ok()
            })?;
            complete(&format!("91{region}{organization}"), USCC_ALPHABET, |c| {
                validate::unified_social_credit_code(c).is_ok()
            })
        });
        let account_number = numbers.draw(|| Some(format!("1100{}", rng.digits(15))));
        let registered = persons.get(registered_reps.get(index).copied().unwrap_or(0));
        let claimed_index = claimed_reps.get(index).copied().unwrap_or(0);
        let claimed = persons.get(claimed_index);
        let (Some(registered), Some(claimed)) = (registered, claimed) else {
            continue;
        };
        records.registry.insert(
            credit_code.clone(),
            RegistryRecord {
                name: name.clone(),
                legal_rep_name: registered.name.clone(),
                legal_rep_id_number: registered.id_number.clone(),
            },
        );
        let holder = if index == ACCOUNT_NAME_DIFFERS {
            registered.name.clone()
        } else {
            name.clone()
        };
        records.accounts.insert(account_number.clone(), holder);
        let (note, expected) = match index {
            LEGAL_REP_DIFFERS => (
                Some(format!(
                    "the registry holds {} (person {}) as legal representative, not the claimed {} \
                     (person {claimed_index}): the enterprise check does not match",
                    registered.name, registered.index, claimed.name
                )),
                EnterpriseExpectations {
                    enterprise: "mismatch",
                    deposit: "sent",
                },
            ),
            ACCOUNT_NAME_DIFFERS => (
                Some(format!(
                    "the account is held by {} personally, not by the enterprise: the deposit is \
                     refused with an account-name mismatch",
                    registered.name
                )),
                EnterpriseExpectations {
                    enterprise: "match",
                    deposit: "mismatch",
                },
            ),
            _ => (
                None,
                EnterpriseExpectations {
                    enterprise: "match",
                    deposit: "sent",
                },
            ),
        };
        enterprises.push(Enterprise {
            index,
            account_name: name.clone(),
            name,
            credit_code,
            legal_rep_name: claimed.name.clone(),
            legal_rep_id_number: claimed.id_number.clone(),
            legal_rep_person: claimed_index,
            account_number,
            note,
            expected,
        });
    }

    (
        Dataset {
            seed,
            persons,
            enterprises,
        },
        records,
    )
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use yinxin_domain::image::{ImageLimits, inspect};

    use super::*;
    use crate::png::similarity;

    #[test]
    fn the_dataset_is_deterministic_and_valid() {
        let (a, records) = build(crate::DEFAULT_SEED);
        let b = dataset(crate::DEFAULT_SEED);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_ne!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&dataset(7)).unwrap()
        );
        assert_eq!(a.persons.len(), PERSONS);
        assert_eq!(a.enterprises.len(), ENTERPRISES);

        let limits = ImageLimits::default();
        let mut seen = HashSet::new();
        for p in &a.persons {
            let id = validate::resident_id(&p.id_number, today()).unwrap();
            assert_eq!(id.number, p.id_number);
            assert_eq!(p.sex == "男", id.sex == validate::Sex::Male);
            assert!(
                REGIONS
                    .iter()
                    .any(|(code, ..)| p.id_number.starts_with(code))
            );
            assert_eq!(validate::mainland_mobile(&p.mobile).unwrap(), p.mobile);
            assert_eq!(
                validate::mainland_mobile(&p.reserved_mobile).unwrap(),
                p.reserved_mobile
            );
            assert_eq!(
                validate::bank_card_number(&p.card_number).unwrap(),
                p.card_number
            );
            assert!(p.card_number.starts_with("62") && (16..=19).contains(&p.card_number.len()));
            for image in [&p.photo, &p.live_face, &p.id_card_front, &p.id_card_back] {
                inspect(image, &limits).unwrap();
                assert!(seen.insert(image_key(image)), "images are distinct");
            }
            assert_eq!(
                p.note.is_some(),
                p.expected
                    != PersonExpectations {
                        carrier: "match",
                        bank_card: "match",
                        face: "match",
                        id_card_capture: "read",
                    }
            );
            // Each live face is like its owner's photo and unlike every other.
            for q in &a.persons {
                let sim = similarity(&p.live_face, &q.photo);
                let same = q.index == p.index && p.index != FACE_OF_ANOTHER
                    || p.index == FACE_OF_ANOTHER && q.index == FACE_OWNER;
                assert_eq!(
                    sim >= 70.0,
                    same,
                    "live face {} vs photo {}: {sim}",
                    p.index,
                    q.index
                );
            }
            assert_eq!(
                records.citizens.contains_key(&p.id_number),
                p.index != NO_RECORD
            );
        }
        let mut codes = HashSet::new();
        for e in &a.enterprises {
            assert_eq!(
                validate::unified_social_credit_code(&e.credit_code).unwrap(),
                e.credit_code
            );
            assert!(codes.insert(e.credit_code.clone()));
            assert!(e.name.ends_with("有限公司"));
            let record = &records.registry[&e.credit_code];
            assert_eq!(
                record.legal_rep_id_number == e.legal_rep_id_number,
                e.index != LEGAL_REP_DIFFERS
            );
            assert_eq!(
                records.accounts[&e.account_number] == e.account_name,
                e.index != ACCOUNT_NAME_DIFFERS
            );
        }
        // The carrier holds the mobile-elsewhere person's number under someone else.
        let elsewhere = &a.persons[MOBILE_ELSEWHERE];
        assert_eq!(
            records.subscribers[&elsewhere.mobile].id_number,
            a.persons[MOBILE_HOLDER].id_number
        );
        assert_ne!(
            records.cards[&a.persons[RESERVED_MOBILE_DIFFERS].card_number].reserved_mobile,
            a.persons[RESERVED_MOBILE_DIFFERS].reserved_mobile
        );
    }
}
