-- SIGN-2, SIGN-3, ACC-2: enterprise seals, the authorizations to use them, and persons' signature
-- images. No personal information in clear: an image (it shows an enterprise's or a person's
-- name, or a hand-drawn signature) is sealed by the vault under its owner's subject key, bound to
-- its record id (fields 'signing.seal_image', 'signing.signature_image',
-- 'signing.handwritten_signature'). Of hand-drawn strokes only the rendered image is kept.
CREATE TABLE seals (
    id                     TEXT    PRIMARY KEY,
    enterprise_id          TEXT    NOT NULL REFERENCES accounts (id),
    category               TEXT    NOT NULL CHECK (category IN ('official', 'contract', 'finance',
                                                                'hr', 'legal_representative')),
    anti_counterfeit_code  TEXT,
    width                  BIGINT  NOT NULL,
    height                 BIGINT  NOT NULL,
    created_by             TEXT    NOT NULL REFERENCES accounts (id),
    created_at             BIGINT  NOT NULL,
    image_sealed           BYTEA   NOT NULL
);
CREATE INDEX seals_by_enterprise ON seals (enterprise_id, id);

-- Rows are never deleted; revocation sets revoked_at once.
CREATE TABLE seal_authorizations (
    id             TEXT    PRIMARY KEY,
    enterprise_id  TEXT    NOT NULL REFERENCES accounts (id),
    seal_id        TEXT    NOT NULL REFERENCES seals (id),
    agent_id       TEXT    NOT NULL REFERENCES accounts (id),
    purposes       TEXT    NOT NULL,
    valid_from     BIGINT  NOT NULL,
    valid_until    BIGINT  NOT NULL,
    granted_by     TEXT    NOT NULL REFERENCES accounts (id),
    created_at     BIGINT  NOT NULL,
    revoked_at     BIGINT,
    revoked_by     TEXT    REFERENCES accounts (id)
);
CREATE INDEX seal_authorizations_by_seal ON seal_authorizations (seal_id, id);

CREATE TABLE signature_images (
    id            TEXT    PRIMARY KEY,
    account_id    TEXT    NOT NULL REFERENCES accounts (id),
    source        TEXT    NOT NULL CHECK (source IN ('style', 'strokes', 'upload')),
    style         TEXT,
    width         BIGINT  NOT NULL,
    height        BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    image_sealed  BYTEA   NOT NULL
);
CREATE INDEX signature_images_by_account ON signature_images (account_id, id);
