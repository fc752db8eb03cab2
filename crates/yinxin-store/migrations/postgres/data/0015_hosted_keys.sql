-- Hosted and one-time keys (CERT-1, CERT-3) and renewal (CERT-1).
--
-- A certificate whose key the service holds records when that key was destroyed: an event
-- certificate's one-time key is destroyed once its event is signed (or when the certificate
-- expires), and the record says so; a destroyed key never signs again.
-- A same-key renewal shares the key, so a destruction marks every certificate of the key.
ALTER TABLE certificates ADD COLUMN key_destroyed_at BIGINT;

-- A certificate is renewed at most once: the renewal links old and new, and a second renewal of
-- the same certificate is refused by the database itself, whatever races.
CREATE UNIQUE INDEX certificates_renewed_once ON certificates (renews) WHERE renews IS NOT NULL;

-- The one-time keys still to destroy, found by expiry.
CREATE INDEX certificates_live_event_keys ON certificates (not_after)
    WHERE profile = 'event' AND hosted_key_id IS NOT NULL AND key_destroyed_at IS NULL;

-- The certificates of a hosted key.
CREATE INDEX certificates_by_hosted_key ON certificates (hosted_key_id)
    WHERE hosted_key_id IS NOT NULL;
