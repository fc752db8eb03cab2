-- ACC-3: passkeys. Found by a keyed pseudonym of the credential id; the credential itself is
-- sealed under the account's subject key. No biometric data exists here or anywhere.
CREATE TABLE passkeys (
    credential_key  BYTEA   PRIMARY KEY,
    account_id      TEXT    NOT NULL REFERENCES accounts (id),
    sealed          BYTEA   NOT NULL,
    sign_count      BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    last_used_at    BIGINT 
);
CREATE INDEX passkeys_by_account ON passkeys (account_id);

-- ACC-3: WebAuthn challenges, single use and short lived.
CREATE TABLE webauthn_challenges (
    id          TEXT    PRIMARY KEY,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('register', 'login')),
    account_id  TEXT    REFERENCES accounts (id),
    challenge   BYTEA   NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT 
);
