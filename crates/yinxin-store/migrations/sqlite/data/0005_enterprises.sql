-- ACC-2: an enterprise is an account (kind 'enterprise', no password) plus this row; its PI (name,
-- credit code, legal representative) is sealed in pi_fields under the account's subject.
CREATE TABLE enterprises (
    account_id     TEXT    PRIMARY KEY REFERENCES accounts (id),
    kind           TEXT    NOT NULL,
    code_kind      TEXT    NOT NULL CHECK (code_kind IN ('uscc', 'organization_code')),
    registered_by  TEXT    NOT NULL REFERENCES accounts (id),
    created_at     INTEGER NOT NULL
);

-- ACC-2: an agent acts for an enterprise only under one of these. Rows are never deleted;
-- revocation sets revoked_at once.
CREATE TABLE agent_authorizations (
    id             TEXT    PRIMARY KEY,
    enterprise_id  TEXT    NOT NULL REFERENCES accounts (id),
    agent_id       TEXT    NOT NULL REFERENCES accounts (id),
    scopes         TEXT    NOT NULL,
    granted_by     TEXT    NOT NULL REFERENCES accounts (id),
    basis          TEXT    NOT NULL CHECK (basis IN ('registration', 'grant')),
    valid_from     INTEGER NOT NULL,
    valid_until    INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoked_by     TEXT    REFERENCES accounts (id)
);
CREATE INDEX agent_authorizations_by_enterprise ON agent_authorizations (enterprise_id, id);
CREATE INDEX agent_authorizations_by_agent ON agent_authorizations (agent_id, id);

-- An enterprise is registered once: its credit code's blind-index digest is unique.
CREATE UNIQUE INDEX pi_blind_index_unique_credit_code ON pi_blind_index (field, digest)
    WHERE field = 'enterprise.credit_code';
