-- Issue 8 item 2 (PRIV-14): the data of an access or copy request filed through the public form
-- is delivered to the requester, once, against the ticket and a fresh code sent to the mobile
-- the carrier check confirmed at filing. That mobile is kept only as a keyed pseudonym
-- (HMAC under a service secret): it can be matched, not read.
ALTER TABLE public_request_tickets ADD COLUMN mobile_pseudonym BLOB;
