-- Issue 8 item 11 (PRIV-11; PIPL art. 57): personal-information incidents, their scope, the
-- subjects affected (found from the disclosure and staff-access records) and the notice each
-- received. The incident's texts are what every notice says; no PI is stored here.
CREATE TABLE incidents (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    title           TEXT    NOT NULL,
    what_happened   TEXT    NOT NULL,
    impact          TEXT    NOT NULL,
    measures        TEXT    NOT NULL,
    advice          TEXT    NOT NULL,
    remedies        TEXT    NOT NULL,
    contact         TEXT    NOT NULL,
    scope           TEXT    NOT NULL,
    recorded_by     TEXT    NOT NULL,
    recorded_at     BIGINT  NOT NULL,
    published_at    BIGINT
);

CREATE TABLE incident_subjects (
    incident_id  TEXT    NOT NULL REFERENCES incidents (id),
    account_id   TEXT    NOT NULL,
    notified_at  BIGINT,
    channel      TEXT,
    PRIMARY KEY (incident_id, account_id)
);
CREATE INDEX incident_subjects_by_account ON incident_subjects (account_id);
