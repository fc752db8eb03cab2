-- Issue 8 item 1 (PRIV-14, ACC-6): data-subject requests and the record of every step. A request
-- holds its kind, the names of what it concerns (inventory fields, a consent scope), never a
-- value; the steps hold who (subject, system, staff role), what and when.
CREATE TABLE subject_requests (
    seq                   BIGSERIAL PRIMARY KEY,
    id                    TEXT    NOT NULL UNIQUE,
    account_id            TEXT    NOT NULL REFERENCES accounts (id),
    kind                  TEXT    NOT NULL,
    scope                 TEXT    NOT NULL,
    ground                TEXT,
    state                 TEXT    NOT NULL,
    received_at           BIGINT NOT NULL,
    identity_verified_at  BIGINT,
    due_at                BIGINT,
    closed_at             BIGINT,
    refusal_ground        TEXT,
    excessive             BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX subject_requests_account ON subject_requests (account_id, kind, received_at);
CREATE INDEX subject_requests_due ON subject_requests (due_at);

CREATE TABLE subject_request_steps (
    request_id  TEXT    NOT NULL REFERENCES subject_requests (id),
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    ground      TEXT,
    PRIMARY KEY (request_id, seq)
);
