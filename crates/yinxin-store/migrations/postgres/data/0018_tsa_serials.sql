-- The timestamp authority's serial counter (SIGN-1, issue 6; RFC 3161 §2.4.2): one row for every
-- TSA of the service. last_serial is the last serial handed out; last_gen_time_ms the newest
-- genTime given to a token (Unix milliseconds), against which a clock going back is refused.
-- The database itself refuses to move either backwards, or to delete the row, whatever code asks.
CREATE TABLE tsa_serials (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    last_serial       BIGINT NOT NULL CHECK (last_serial >= 0),
    last_gen_time_ms  BIGINT NOT NULL
);
INSERT INTO tsa_serials (id, last_serial, last_gen_time_ms) VALUES (1, 0, 0);

CREATE FUNCTION tsa_serials_only_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_serial <= OLD.last_serial
       OR NEW.last_gen_time_ms < OLD.last_gen_time_ms OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'TSA serials only move forward (SIGN-1)';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER tsa_serials_only_forward BEFORE DELETE OR UPDATE ON tsa_serials
    FOR EACH ROW EXECUTE FUNCTION tsa_serials_only_forward();
