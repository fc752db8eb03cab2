-- ACC-7: support requests and their messages. No personal information in clear: a request row
-- holds ids, a category, a status and times; a message body is sealed by the vault (field
-- 'support.record') under the account's subject key, bound to its request, message and author.
-- (Numbers 0006-0008 are taken by work in progress.)
CREATE TABLE support_requests (
    id          TEXT    PRIMARY KEY,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    category    TEXT    NOT NULL CHECK (category IN ('account', 'certificate', 'signature',
                                                     'identity_verification', 'privacy', 'other')),
    status      TEXT    NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX support_requests_by_account ON support_requests (account_id, id);

CREATE TABLE support_messages (
    id           TEXT    PRIMARY KEY,
    request_id   TEXT    NOT NULL REFERENCES support_requests (id),
    author       TEXT    NOT NULL CHECK (author IN ('customer', 'staff')),
    at           BIGINT  NOT NULL,
    body_sealed  BYTEA   NOT NULL
);
CREATE INDEX support_messages_by_request ON support_messages (request_id, id);
