-- Issue 6 item 3 (意愿认证), SIGN-1, SIGN-3: confirmations of intent to sign, and the record of
-- every signature made with a key the service holds. Ids, digests and times only: no document,
-- no name, no mobile number (the SMS code lives in sms_codes under a keyed pseudonym).
CREATE TABLE signing_intents (
    id                  TEXT    PRIMARY KEY,
    account_id          TEXT    NOT NULL REFERENCES accounts (id),
    certificate_serial  TEXT    NOT NULL,
    digest_algorithm    TEXT    NOT NULL CHECK (digest_algorithm IN ('sha256', 'sm3')),
    digest              BLOB    NOT NULL,
    method              TEXT    NOT NULL CHECK (method IN ('sms', 'passkey')),
    challenge           BLOB,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    confirmed_at        INTEGER,
    evidence            TEXT,
    used_at             INTEGER
);
CREATE INDEX signing_intents_by_account ON signing_intents (account_id, created_at);

-- Rows are never updated or deleted; an intent's row says it was used by this record.
CREATE TABLE signatures (
    id                  TEXT    PRIMARY KEY,
    account_id          TEXT    NOT NULL REFERENCES accounts (id),
    certificate_serial  TEXT    NOT NULL,
    intent_id           TEXT    UNIQUE REFERENCES signing_intents (id),
    enterprise_id       TEXT    REFERENCES accounts (id),
    seal_id             TEXT    REFERENCES seals (id),
    seal_authorization_id TEXT  REFERENCES seal_authorizations (id),
    format              TEXT    NOT NULL CHECK (format IN ('cms', 'pades')),
    digest_algorithm    TEXT    NOT NULL CHECK (digest_algorithm IN ('sha256', 'sm3')),
    digest              BLOB    NOT NULL,
    document_id         TEXT,
    created_at          INTEGER NOT NULL,
    -- A signature without an intent is a seal applied under an authorization.
    CHECK (intent_id IS NOT NULL OR seal_authorization_id IS NOT NULL)
);
CREATE INDEX signatures_by_account ON signatures (account_id, created_at);

-- Documents uploaded for signing and their signed versions: the file sealed by the vault under
-- the owner's subject (field 'signing.document'), bound to the row's id.
CREATE TABLE documents (
    id              TEXT    PRIMARY KEY,
    owner_id        TEXT    NOT NULL REFERENCES accounts (id),
    parent_id       TEXT    REFERENCES documents (id),
    sha256          BLOB    NOT NULL,
    sm3             BLOB    NOT NULL,
    size            INTEGER NOT NULL,
    pages           INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    content_sealed  BLOB    NOT NULL
);
CREATE INDEX documents_by_owner ON documents (owner_id, created_at);
