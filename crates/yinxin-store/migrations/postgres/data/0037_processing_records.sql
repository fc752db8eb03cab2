-- Issue 8 item 10 (PIPL arts. 55-56; GB/T 35273 §11.3): the record of processing activities
-- and the personal-information impact assessment, generated from the inventory and the
-- registers, each version kept at least three years: the database refuses to delete a version
-- earlier, or to change one at all.
CREATE TABLE processing_records (
    kind          TEXT    NOT NULL CHECK (kind IN ('ropa', 'pia')),
    version       BIGINT  NOT NULL,
    sha256        TEXT    NOT NULL,
    document      TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    retain_until  BIGINT  NOT NULL,
    PRIMARY KEY (kind, version),
    CHECK (retain_until >= created_at + 94608000)
);

CREATE FUNCTION processing_records_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.retain_until > extract(epoch FROM now())::bigint THEN
            RAISE EXCEPTION 'processing record kept three years (PIPL art. 56)';
        END IF;
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'a processing record version never changes';
END
$$;

CREATE TRIGGER processing_records_kept BEFORE DELETE OR UPDATE ON processing_records
    FOR EACH ROW EXECUTE FUNCTION processing_records_kept();
