-- PRIV-1, PRIV-4: a published version keeps the text it was published with, so a consent's
-- text_sha256 can always be checked against what the user was shown.
ALTER TABLE policy_versions ADD COLUMN text TEXT;

-- PRIV-4: the version of the privacy policy the account last accepted (NULL once withdrawn).
-- Kept in step with the consents table in the same transaction; read on every authenticated
-- request to answer CONSENT_REQUIRED after a material update without another query.
ALTER TABLE accounts ADD COLUMN accepted_policy TEXT;
UPDATE accounts SET accepted_policy = (
    SELECT CASE WHEN c.action = 'given' THEN c.policy_version END FROM consents c
    WHERE c.account_id = accounts.id AND c.scope = 'privacy_policy'
    ORDER BY c.at DESC, c.id DESC LIMIT 1
);
