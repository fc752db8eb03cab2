-- Issue 6 item 6: the sweep that closes envelopes nobody touched once they expire reads the
-- envelopes still sent by their expiry.
CREATE INDEX envelopes_sent_by_expiry ON envelopes (expires_at) WHERE state = 'sent';
