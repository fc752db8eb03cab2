-- Relying applications (CERT-6): who they are, which certificates their holders use with them,
-- and every provision of a holder's data to them (PRIV-7). No PI in the first two tables; the
-- disclosure log holds field names, never values.
CREATE TABLE relying_apps (
    id             TEXT    PRIMARY KEY,
    name           TEXT    NOT NULL,
    legal_name     TEXT    NOT NULL,
    contact        TEXT    NOT NULL,
    data_items     TEXT    NOT NULL,
    key_hash       BYTEA    NOT NULL UNIQUE,
    registered_at  BIGINT NOT NULL
);

-- A holder's statement that they use a certificate with an application; unlinked_at ends it.
CREATE TABLE certificate_uses (
    serial       TEXT    NOT NULL REFERENCES certificates (serial),
    app_id       TEXT    NOT NULL REFERENCES relying_apps (id),
    holder       TEXT    NOT NULL,
    linked_at    BIGINT NOT NULL,
    unlinked_at  BIGINT,
    PRIMARY KEY (serial, app_id)
);
CREATE INDEX certificate_uses_by_app ON certificate_uses (app_id) WHERE unlinked_at IS NULL;

CREATE TABLE app_disclosures (
    id          TEXT    PRIMARY KEY,
    app_id      TEXT    NOT NULL REFERENCES relying_apps (id),
    subject_id  TEXT    NOT NULL,
    serial      TEXT    NOT NULL,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('certificate_information', 'renewal_reminder')),
    data_items  TEXT    NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX app_disclosures_by_subject ON app_disclosures (subject_id, at);
