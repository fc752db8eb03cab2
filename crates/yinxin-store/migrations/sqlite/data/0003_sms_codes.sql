-- ACC-3: one-time SMS codes. The number is a keyed pseudonym, the code a keyed hash.
CREATE TABLE sms_codes (
    id          TEXT    PRIMARY KEY,
    mobile_key  BLOB    NOT NULL,
    purpose     TEXT    NOT NULL,
    code_hash   BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX sms_codes_live ON sms_codes (mobile_key, purpose, created_at);
