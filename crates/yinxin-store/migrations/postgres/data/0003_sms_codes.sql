-- ACC-3: one-time SMS codes. The number is a keyed pseudonym, the code a keyed hash.
CREATE TABLE sms_codes (
    id          TEXT    PRIMARY KEY,
    mobile_key  BYTEA    NOT NULL,
    purpose     TEXT    NOT NULL,
    code_hash   BYTEA    NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX sms_codes_live ON sms_codes (mobile_key, purpose, created_at);
