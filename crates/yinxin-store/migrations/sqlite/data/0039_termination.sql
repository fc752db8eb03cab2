-- Issue 8 item 12 (PRIV-12, CERT-8; Electronic Signature Law art. 23): the plan to end the
-- service, its clock, and the closing mode that stops all collection. One row at most.
CREATE TABLE termination_plan (
    id                       INTEGER PRIMARY KEY CHECK (id = 1),
    terminates_at            INTEGER NOT NULL,
    notice                   TEXT    NOT NULL,
    recorded_by              TEXT    NOT NULL,
    recorded_at              INTEGER NOT NULL,
    subscribers_notified_at  INTEGER,
    regulator_reported_at    INTEGER,
    closing_at               INTEGER
);
