-- ACC-5: login events for risk control. No personal information in clear: the device and the
-- network are keyed pseudonyms scoped to the account; the IP address ('log.ip_address') and the
-- user agent with the device id ('log.client') are sealed by the vault under the account's subject
-- key. Kept 180 days (NETWORK_LOGS in the inventory), then purged. (0010 is guardian consents.)
CREATE TABLE login_events (
    id             TEXT    PRIMARY KEY,
    account_id     TEXT    NOT NULL REFERENCES accounts (id),
    at             BIGINT NOT NULL,
    method         TEXT    NOT NULL CHECK (method IN ('password', 'sms', 'passkey')),
    outcome        TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'locked',
                                                       'step_up_required', 'step_up_passed',
                                                       'step_up_failed')),
    device_key     BYTEA,
    network_key    BYTEA NOT NULL,
    new_device     BIGINT NOT NULL,
    new_network    BIGINT NOT NULL,
    ip_sealed      BYTEA NOT NULL,
    client_sealed  BYTEA
);
CREATE INDEX login_events_by_account ON login_events (account_id, id);
CREATE INDEX login_events_by_time ON login_events (at);
