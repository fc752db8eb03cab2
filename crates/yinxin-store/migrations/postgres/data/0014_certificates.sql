-- The certificate authority's records (CERT-1, CERT-5, CERT-7, CERT-10).

-- Every CA-side certificate of every hierarchy (root, issuing, OCSP responder, TSA) and the key
-- that signs for it. No PI: CA names are the operator's.
CREATE TABLE ca_certificates (
    id            TEXT    PRIMARY KEY,
    algorithm     TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp', 'timestamping')),
    parent        TEXT    REFERENCES ca_certificates (id),
    key_id        TEXT    NOT NULL,
    token_serial  TEXT,
    certificate   BYTEA   NOT NULL,
    serial        TEXT    NOT NULL UNIQUE,
    created_at    BIGINT    NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    crl_number    BIGINT    NOT NULL DEFAULT 0
);

-- Subscriber certificates. The DER is sealed under the holder (it names them); serial,
-- fingerprint, status, validity, issuer, profile and a masked subject are what the public query
-- service shows (CERT-5). retain_until = not_after + 5 years (CERT-7): nothing deletes a row
-- before it, an account cancellation included.
CREATE TABLE certificates (
    serial             TEXT    PRIMARY KEY,
    fingerprint        TEXT    NOT NULL UNIQUE,
    ca_id              TEXT    NOT NULL REFERENCES ca_certificates (id),
    holder             TEXT    NOT NULL,
    profile            TEXT    NOT NULL,
    algorithm          TEXT    NOT NULL,
    sealed_der         BYTEA   NOT NULL,
    masked_subject     TEXT    NOT NULL,
    subject_mode       TEXT    NOT NULL CHECK (subject_mode IN ('full', 'masked', 'keyed_hash')),
    not_before         BIGINT    NOT NULL,
    not_after          BIGINT    NOT NULL,
    hosted_key_id      TEXT,
    renews             TEXT    REFERENCES certificates (serial),
    issued_at          BIGINT    NOT NULL,
    retain_until       BIGINT    NOT NULL,
    revoked_at         BIGINT,
    revocation_reason  TEXT,
    revoked_by         TEXT,
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL)),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
    CHECK (retain_until >= not_after)
);
CREATE INDEX certificates_by_holder ON certificates (holder, issued_at);
CREATE INDEX certificates_revoked_by_ca ON certificates (ca_id, revoked_at) WHERE revoked_at IS NOT NULL;
