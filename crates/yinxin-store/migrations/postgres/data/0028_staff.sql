-- Issue 8 item 7 (PRIV-19, PRIV-10): staff roles, granted and revoked by an operator from the
-- console (history kept: a revoked grant stays, with its time), and the record of every staff
-- access to a subject's personal information. An access row holds ids, inventory field names,
-- a purpose and a case reference — never a value; its evidence log entry (type 10) is queued in
-- the same transaction.
CREATE TABLE staff_roles (
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    role        TEXT    NOT NULL CHECK (role IN ('support', 'verification_reviewer', 'ca_operator',
                                                 'privacy_officer', 'auditor')),
    granted_by  TEXT    NOT NULL,
    granted_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
-- One standing grant of a role per account.
CREATE UNIQUE INDEX staff_roles_standing ON staff_roles (account_id, role) WHERE revoked_at IS NULL;

-- seq orders the accesses as recorded (several fall in one second).
CREATE TABLE staff_accesses (
    seq              BIGSERIAL PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    staff_account    TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    subject_account  TEXT    NOT NULL,
    fields           TEXT    NOT NULL,
    purpose          TEXT    NOT NULL,
    reference        TEXT    NOT NULL,
    unmasked         BOOLEAN NOT NULL,
    at               BIGINT NOT NULL
);
CREATE INDEX staff_accesses_subject ON staff_accesses (subject_account, seq);
CREATE INDEX staff_accesses_staff ON staff_accesses (staff_account, seq);
