-- Issue 6 item 6: envelopes — one document, several signers in order or in parallel, and the
-- audit trail of every event. Ids, kinds, positions, page geometry and times only: no name, no
-- number, no document (the versions are rows of `documents`, sealed under the owner's subject).
CREATE TABLE envelopes (
    id              TEXT    PRIMARY KEY,
    owner_id        TEXT    NOT NULL REFERENCES accounts (id),
    document_id     TEXT    NOT NULL REFERENCES documents (id),
    -- The version the next signature is made over; moved only by a compare-and-set.
    current_id      TEXT    NOT NULL,
    signing_order   TEXT    NOT NULL CHECK (signing_order IN ('sequential', 'parallel')),
    state           TEXT    NOT NULL CHECK (state IN ('sent', 'completed', 'declined', 'expired', 'cancelled')),
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    closed_at       BIGINT 
);
CREATE INDEX envelopes_by_owner ON envelopes (owner_id, created_at);

CREATE TABLE envelope_signers (
    envelope_id     TEXT    NOT NULL REFERENCES envelopes (id),
    position        BIGINT  NOT NULL,
    account_id      TEXT    NOT NULL REFERENCES accounts (id),
    enterprise_id   TEXT    REFERENCES accounts (id),
    -- The fields, as JSON: [{"kind", "page", "rect"}]; geometry only.
    fields          TEXT    NOT NULL,
    signed_fields   BIGINT  NOT NULL DEFAULT 0,
    declined        BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (envelope_id, position)
);
CREATE INDEX envelope_signers_by_account ON envelope_signers (account_id);

-- The audit trail: appended only.
CREATE TABLE envelope_events (
    envelope_id     TEXT    NOT NULL REFERENCES envelopes (id),
    seq             BIGINT  NOT NULL,
    at              BIGINT  NOT NULL,
    kind            TEXT    NOT NULL,
    account_id      TEXT,
    position        BIGINT ,
    reference       TEXT,
    PRIMARY KEY (envelope_id, seq)
);
CREATE FUNCTION envelope_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the envelope trail is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER envelope_events_append_only BEFORE UPDATE OR DELETE ON envelope_events
    FOR EACH ROW EXECUTE FUNCTION envelope_events_append_only();
