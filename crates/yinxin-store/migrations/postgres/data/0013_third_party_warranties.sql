-- IDV-4: information about other people. Whoever submits another person's information (today an
-- enterprise's legal representative, at the enterprise's registration) warrants that the person
-- gave their separate consent; the person may object, and their information is then deleted from
-- the enterprise's vault subject. No personal information here: the person is named only by a
-- keyed pseudonym of their identity document (the vault's pseudonym, 32 bytes), which only the
-- vault's keys can compute, so that the person can find what was warranted about them once their
-- own identity is verified.
CREATE TABLE third_party_warranties (
    id             TEXT    PRIMARY KEY,
    submitted_by   TEXT    NOT NULL REFERENCES accounts (id),
    enterprise_id  TEXT    NOT NULL REFERENCES accounts (id),
    about          TEXT    NOT NULL CHECK (about IN ('legal_representative')),
    subject_key    BYTEA   NOT NULL,
    at             BIGINT  NOT NULL,
    objected_at    BIGINT
);
CREATE INDEX third_party_warranties_by_subject_key ON third_party_warranties (subject_key);
CREATE INDEX third_party_warranties_by_enterprise ON third_party_warranties (enterprise_id, id);
