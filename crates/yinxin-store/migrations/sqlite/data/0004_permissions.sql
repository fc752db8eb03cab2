-- PRIV-3: device permissions per account, append-only; the latest change per permission is its state.
CREATE TABLE permission_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    permission  TEXT    NOT NULL,
    granted     INTEGER NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX permission_events_by_account ON permission_events (account_id, at);
