-- Issue 8 item 1 (PRIV-14): a request filed through the public form (by someone who cannot log
-- in) is followed with a ticket, a random secret given to the requester once; only its SHA-256
-- is kept. Written before its request (no foreign key): a ticket whose request was never
-- written leads nowhere.
CREATE TABLE public_request_tickets (
    ticket_hash  BYTEA   PRIMARY KEY,
    request_id   TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL
);
