-- PRIV-13: a guardian's consent to the registration of a child under 14. The child appears only
-- as a keyed pseudonym of their resident ID number. Single use: a registration takes it.
CREATE TABLE guardian_consents (
    id              TEXT    PRIMARY KEY,
    guardian_id     TEXT    NOT NULL REFERENCES accounts (id),
    relationship    TEXT    NOT NULL CHECK (relationship IN ('parent', 'guardian')),
    policy_version  TEXT    NOT NULL REFERENCES policy_versions (version),
    ward_key        BYTEA   NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    used_by         TEXT,
    used_at         BIGINT
);
CREATE INDEX guardian_consents_by_guardian ON guardian_consents (guardian_id);
