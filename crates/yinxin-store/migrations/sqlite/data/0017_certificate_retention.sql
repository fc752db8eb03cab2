-- CERT-7: certificate records are kept at least until retain_until (expiry + 5 years, from the
-- inventory). The database itself refuses to delete one earlier, or to move its retain_until
-- earlier, whatever code asks — an account cancellation included.
CREATE TRIGGER certificates_retained_delete BEFORE DELETE ON certificates
WHEN OLD.retain_until > CAST(strftime('%s', 'now') AS INTEGER)
BEGIN
    SELECT RAISE(ABORT, 'certificate record under retention (CERT-7)');
END;

CREATE TRIGGER certificates_retained_update BEFORE UPDATE OF retain_until ON certificates
WHEN NEW.retain_until < OLD.retain_until
BEGIN
    SELECT RAISE(ABORT, 'certificate record under retention (CERT-7): retain_until only moves later');
END;
