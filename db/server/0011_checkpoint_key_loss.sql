-- DutyDesk shared database, migration 0011: replacing a LOST checkpoint key (issue 12,
-- witnessed history).
--
-- A key change (`server checkpoint --rotate`, 0008) needs the old private key to sign the
-- change. When that key is lost (the administrator's computer or keyring is gone) nothing
-- can sign for it, so `dutydesk server checkpoint --new-key --reason TEXT` records a NEW
-- first key instead, naming the lost key, the last sequence the lost key signed before the
-- loss was declared (it is trusted for nothing after it), the administrator's reason, and
-- all of that signed by the new key (which proves only that the new key's holder wrote it).
--
-- Deliberately, this grants the new key no trust: anyone with rights over the database
-- could write the same row with a key of their own. A desk that trusts the lost key
-- (configured, or pinned at first contact) reads the row, says plainly that the server
-- claims its key was lost and replaced by key N, and stops syncing until its own
-- administrator configures N (`server_checkpoint_key`, after comparing the fingerprint
-- out of band). A desk configured with N also trusts the lost key's checkpoints up to
-- lost_last_seq, because N signed that statement.
--
-- Nothing secret, nothing personal: fingerprints, public keys, a sequence, a time and the
-- administrator's reason (shown on every desk; documented as such).

ALTER TABLE dutydesk.checkpoint_keys
    ADD COLUMN replaces_lost text UNIQUE REFERENCES dutydesk.checkpoint_keys (key_id),
    ADD COLUMN lost_last_seq bigint CHECK (lost_last_seq >= 0),
    ADD COLUMN loss_reason text
        CHECK (pg_catalog.char_length(pg_catalog.btrim(loss_reason)) BETWEEN 10 AND 500),
    ADD COLUMN loss_signature text,
    ADD CONSTRAINT checkpoint_keys_loss CHECK (
        (replaces_lost IS NULL) = (lost_last_seq IS NULL)
        AND (replaces_lost IS NULL) = (loss_reason IS NULL)
        AND (replaces_lost IS NULL) = (loss_signature IS NULL)
        AND (replaces_lost IS NULL OR previous IS NULL));

-- Still one ORIGINAL first key; a replacement of a lost key is a first key of its own.
DROP INDEX dutydesk.checkpoint_keys_one_root;
CREATE UNIQUE INDEX checkpoint_keys_one_root ON dutydesk.checkpoint_keys ((true))
    WHERE previous IS NULL AND replaces_lost IS NULL;

DROP FUNCTION dutydesk.checkpoint_keys();
CREATE FUNCTION dutydesk.checkpoint_keys()
RETURNS TABLE (key_id text, public_key text, added_at text, previous text,
               previous_last_seq bigint, signed_by_previous text, signed_by_new text,
               replaces_lost text, lost_last_seq bigint, loss_reason text,
               loss_signature text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT k.key_id, k.public_key, k.added_at, k.previous, k.previous_last_seq,
           k.signed_by_previous, k.signed_by_new, k.replaces_lost, k.lost_last_seq,
           k.loss_reason, k.loss_signature
      FROM dutydesk.checkpoint_keys k ORDER BY k.added_at, k.key_id
$$;

REVOKE ALL ON FUNCTION dutydesk.checkpoint_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.checkpoint_keys()
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
