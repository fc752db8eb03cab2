-- Signing keys of the software key store (CERT-1, CERT-3, CERT-10): CA, OCSP, TSA, log and
-- hosted subscriber keys, each a PKCS#8 private key sealed with AES-256-GCM by yinxin-crypto.
-- Kept in the key-store database, so a backup of the data holds no private key. Destroying a key
-- (an event certificate's one-time key after its event) erases the sealed key and keeps the row
-- as the record of the destruction.
CREATE TABLE signing_keys (
    id                  TEXT    PRIMARY KEY,
    algorithm           TEXT    NOT NULL,
    label               TEXT    NOT NULL,
    public_key          BYTEA   NOT NULL,
    sealed_private_key  BYTEA,
    created_at          BIGINT    NOT NULL,
    destroyed_at        BIGINT,
    CHECK ((sealed_private_key IS NULL) = (destroyed_at IS NOT NULL))
);
