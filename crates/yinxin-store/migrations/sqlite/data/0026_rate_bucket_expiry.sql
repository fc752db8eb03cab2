-- ACC-3: each rate-limit bucket carries the end of its own window. Purging used to delete every
-- bucket older than twice the window of the limit being hit, so a hit on a one-minute limit
-- wiped the hour and day counters of every other limit (a reset anyone could trigger).
ALTER TABLE rate_buckets ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
-- Rows written before this column: kept for the longest window in use (one day) and one more.
UPDATE rate_buckets SET expires_at = window_start + 172800;
CREATE INDEX rate_buckets_expiry ON rate_buckets (expires_at);
