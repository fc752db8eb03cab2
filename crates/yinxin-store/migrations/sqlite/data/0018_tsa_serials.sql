-- The timestamp authority's serial counter (SIGN-1, issue 6; RFC 3161 §2.4.2): one row for every
-- TSA of the service. last_serial is the last serial handed out; last_gen_time_ms the newest
-- genTime given to a token (Unix milliseconds), against which a clock going back is refused.
-- The database itself refuses to move either backwards, or to delete the row, whatever code asks.
CREATE TABLE tsa_serials (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    last_serial       INTEGER NOT NULL CHECK (last_serial >= 0),
    last_gen_time_ms  INTEGER NOT NULL
);
INSERT INTO tsa_serials (id, last_serial, last_gen_time_ms) VALUES (1, 0, 0);

CREATE TRIGGER tsa_serials_only_forward BEFORE UPDATE ON tsa_serials
WHEN NEW.last_serial <= OLD.last_serial OR NEW.last_gen_time_ms < OLD.last_gen_time_ms
     OR NEW.id <> OLD.id
BEGIN
    SELECT RAISE(ABORT, 'TSA serials only move forward (SIGN-1)');
END;

CREATE TRIGGER tsa_serials_kept BEFORE DELETE ON tsa_serials
BEGIN
    SELECT RAISE(ABORT, 'TSA serials only move forward (SIGN-1)');
END;
