-- Issue 8 item 10 (PIPL arts. 55-56; GB/T 35273 §11.3): the record of processing activities
-- and the personal-information impact assessment, generated from the inventory and the
-- registers, each version kept at least three years: the database refuses to delete a version
-- earlier, or to change one at all.
CREATE TABLE processing_records (
    kind          TEXT    NOT NULL CHECK (kind IN ('ropa', 'pia')),
    version       INTEGER NOT NULL,
    sha256        TEXT    NOT NULL,
    document      TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    retain_until  INTEGER NOT NULL,
    PRIMARY KEY (kind, version),
    CHECK (retain_until >= created_at + 94608000)
);

CREATE TRIGGER processing_records_kept BEFORE DELETE ON processing_records
WHEN OLD.retain_until > CAST(strftime('%s', 'now') AS INTEGER)
BEGIN
    SELECT RAISE(ABORT, 'processing record kept three years (PIPL art. 56)');
END;

CREATE TRIGGER processing_records_fixed BEFORE UPDATE ON processing_records
BEGIN
    SELECT RAISE(ABORT, 'a processing record version never changes');
END;
