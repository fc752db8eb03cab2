-- IDV-1..IDV-6, PRIV-7: identity verifications, the processor register, the disclosure log,
-- corporate-account deposit challenges and personal identity credentials. No value that was
-- checked is stored anywhere here: records say which method, which provider, which factors
-- matched; disclosures say which data items (inventory field names) went to which processor.
CREATE TABLE processors (
    name               TEXT    PRIMARY KEY,
    legal_name         TEXT    NOT NULL,
    contact            TEXT    NOT NULL,
    data_items         TEXT    NOT NULL,
    purpose            TEXT    NOT NULL,
    processing_method  TEXT    NOT NULL,
    location           TEXT    NOT NULL,
    methods            TEXT    NOT NULL,
    registered_at      BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE TABLE verifications (
    id             TEXT    PRIMARY KEY,
    subject_id     TEXT    NOT NULL REFERENCES accounts (id),
    requested_by   TEXT    NOT NULL REFERENCES accounts (id),
    method         TEXT    NOT NULL,
    provider       TEXT,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('match', 'mismatch', 'provider_error', 'pending')),
    mismatched     TEXT    NOT NULL,
    assurance      TEXT    CHECK (assurance IN ('low', 'substantial', 'high')),
    error          TEXT,
    at             BIGINT NOT NULL
);
CREATE INDEX verifications_by_subject ON verifications (subject_id, id);

CREATE TABLE disclosures (
    id               TEXT    PRIMARY KEY,
    processor        TEXT    NOT NULL REFERENCES processors (name),
    subject_id       TEXT    NOT NULL REFERENCES accounts (id),
    verification_id  TEXT    NOT NULL REFERENCES verifications (id),
    purpose          TEXT    NOT NULL,
    data_items       TEXT    NOT NULL,
    result           TEXT    NOT NULL,
    at               BIGINT NOT NULL
);
CREATE INDEX disclosures_by_subject ON disclosures (subject_id, id);

CREATE TABLE deposit_challenges (
    id               TEXT    PRIMARY KEY,
    enterprise_id    TEXT    NOT NULL REFERENCES accounts (id),
    requested_by     TEXT    NOT NULL REFERENCES accounts (id),
    verification_id  TEXT    NOT NULL REFERENCES verifications (id),
    amount_hash      BYTEA    NOT NULL,
    account_hint     TEXT    NOT NULL,
    provider         TEXT    NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    attempts         BIGINT NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'confirmed', 'failed'))
);
CREATE INDEX deposit_challenges_by_enterprise ON deposit_challenges (enterprise_id, id);

CREATE TABLE identity_credentials (
    id               TEXT    PRIMARY KEY,
    account_id       TEXT    NOT NULL REFERENCES accounts (id),
    verification_id  TEXT    NOT NULL REFERENCES verifications (id),
    method           TEXT    NOT NULL,
    assurance        TEXT    NOT NULL,
    issued_at        BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    superseded_at    BIGINT
);
CREATE INDEX identity_credentials_by_account ON identity_credentials (account_id, id);

-- IDV-6: public keys that sign identity credentials; a key once published stays published.
CREATE TABLE credential_keys (
    kid         TEXT    PRIMARY KEY,
    public_key  BYTEA    NOT NULL,
    created_at  BIGINT NOT NULL
);
