-- Issue 8 (PRIV-9): the retention engine reads the due accounts in (cancelled_at, id) order a
-- thousand at a time; with id in the index that read is a range scan, not a sort of every due
-- account per batch (a million due at once: a thousand sorts of up to a million rows).
DROP INDEX accounts_cancelled;
CREATE INDEX accounts_cancelled ON accounts (cancelled_at, id) WHERE cancelled_at IS NOT NULL AND erased_at IS NULL;
