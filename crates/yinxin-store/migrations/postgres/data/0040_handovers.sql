-- Issue 8 item 12 (Electronic Signature Law art. 23; PIPL art. 22): each handover archive of the
-- certification records made for a successor provider (`yinxin admin handover`): who made it,
-- for whom, and the digest of what was written. The archive itself is never stored here.
CREATE TABLE termination_handovers (
    id                     TEXT    PRIMARY KEY,
    made_at                BIGINT  NOT NULL,
    operator               TEXT    NOT NULL,
    successor_subject      TEXT    NOT NULL,
    successor_fingerprint  TEXT    NOT NULL,
    archive_sha256         TEXT    NOT NULL,
    holders                BIGINT  NOT NULL,
    certificates           BIGINT  NOT NULL
);
