-- Issue 8 item 9 (CERT-9, PRIV-2): whether a processor is outside the mainland of the PRC, and
-- the reference of the transfer's security assessment. A processor abroad receives a subject's
-- data only with their separate consent to the transfer and an assessment on record.
ALTER TABLE processors ADD COLUMN outside_prc INTEGER NOT NULL DEFAULT 0 CHECK (outside_prc IN (0, 1));
ALTER TABLE processors ADD COLUMN security_assessment TEXT;
