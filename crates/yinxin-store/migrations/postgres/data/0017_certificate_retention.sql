-- CERT-7: certificate records are kept at least until retain_until (expiry + 5 years, from the
-- inventory). The database itself refuses to delete one earlier, or to move its retain_until
-- earlier, whatever code asks — an account cancellation included.
CREATE FUNCTION certificates_retained() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.retain_until > extract(epoch FROM now())::bigint THEN
            RAISE EXCEPTION 'certificate record under retention (CERT-7)';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.retain_until < OLD.retain_until THEN
        RAISE EXCEPTION 'certificate record under retention (CERT-7): retain_until only moves later';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER certificates_retained BEFORE DELETE OR UPDATE OF retain_until ON certificates
    FOR EACH ROW EXECUTE FUNCTION certificates_retained();
