-- Issue 8 item 12 (PRIV-12, CERT-8; Electronic Signature Law art. 23): the plan to end the
-- service, its clock, and the closing mode that stops all collection. One row at most.
CREATE TABLE termination_plan (
    id                       BIGINT PRIMARY KEY CHECK (id = 1),
    terminates_at            BIGINT  NOT NULL,
    notice                   TEXT    NOT NULL,
    recorded_by              TEXT    NOT NULL,
    recorded_at              BIGINT  NOT NULL,
    subscribers_notified_at  BIGINT,
    regulator_reported_at    BIGINT,
    closing_at               BIGINT
);
