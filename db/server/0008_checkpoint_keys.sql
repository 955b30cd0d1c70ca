-- DutyDesk shared database, migration 0008: the checkpoint keys, published for desks, and
-- key rotation (issue 12, witnessed history).
--
-- Desks check the server's signed checkpoints on every sync (dutydesk/sync/engine.py). They
-- need the public key: a desk trusts the key its settings name (`server_checkpoint_key`,
-- the administrator's checkpoint-key.pem) or, without one, pins the first key this table
-- shows at its first contact with the server and trusts only keys that key endorsed.
--
-- A key change (`dutydesk server checkpoint --rotate`) adds a row naming the key it
-- replaces, the last sequence the old key signed (it signs nothing after it: retired), and
-- a statement signed by BOTH keys (dutydesk.domain.checkpoints.rotation_message), so a
-- verifier holding either key can walk the chain both ways and checkpoints signed by the
-- retired key still verify. Whoever holds the database can add rows, but without the
-- private keys no row they add is endorsed: a desk refuses it as a forgery.
--
-- Nothing secret, nothing personal: key fingerprints, public keys, sequence numbers, times.

CREATE TABLE dutydesk.checkpoint_keys (
    key_id              text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
    public_key          text NOT NULL CHECK (public_key ~ '^[A-Za-z0-9+/]{43}=$'),
    added_at            text NOT NULL,
    previous            text UNIQUE REFERENCES dutydesk.checkpoint_keys (key_id),
    previous_last_seq   bigint CHECK (previous_last_seq >= 0),
    signed_by_previous  text,
    signed_by_new       text,
    CHECK ((previous IS NULL) = (previous_last_seq IS NULL)
           AND (previous IS NULL) = (signed_by_previous IS NULL)
           AND (previous IS NULL) = (signed_by_new IS NULL))
);
-- One first key: a second row without a predecessor would be a second trust root.
CREATE UNIQUE INDEX checkpoint_keys_one_root ON dutydesk.checkpoint_keys ((true))
    WHERE previous IS NULL;

ALTER TABLE dutydesk.checkpoint_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.checkpoint_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON dutydesk.checkpoint_keys TO dutydesk_owner USING (true) WITH CHECK (true);
REVOKE ALL ON dutydesk.checkpoint_keys FROM PUBLIC;

-- Every key, for verifiers (desks and `audit verify --server`).
CREATE FUNCTION dutydesk.checkpoint_keys()
RETURNS TABLE (key_id text, public_key text, added_at text, previous text,
               previous_last_seq bigint, signed_by_previous text, signed_by_new text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT k.key_id, k.public_key, k.added_at, k.previous, k.previous_last_seq,
           k.signed_by_previous, k.signed_by_new
      FROM dutydesk.checkpoint_keys k ORDER BY k.added_at, k.key_id
$$;

REVOKE ALL ON FUNCTION dutydesk.checkpoint_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.checkpoint_keys()
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
