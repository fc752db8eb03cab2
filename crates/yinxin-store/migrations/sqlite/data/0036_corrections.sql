-- Issue 8 item 3 (PRIV-14): corrections reviewed by the privacy officer. The value proposed is
-- sealed under the subject (like the field it would replace) until the request is closed; a
-- corrected identity field makes the verifications before it stop counting (the identity is
-- verified again) and flags the holder's certificates that carry the old value for renewal.
CREATE TABLE correction_proposals (
    request_id  TEXT    PRIMARY KEY,
    field       TEXT    NOT NULL,
    sealed      BLOB    NOT NULL
);

-- The newest verification of the account when an identity field was corrected: it and those
-- before it no longer count (ids are time-ordered UUIDv7).
ALTER TABLE accounts ADD COLUMN verifications_void_through TEXT;

CREATE TABLE certificate_renewal_flags (
    serial      TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    request_id  TEXT    NOT NULL,
    flagged_at  INTEGER NOT NULL
);
CREATE INDEX certificate_renewal_flags_by_holder ON certificate_renewal_flags (holder);
