-- DutyDesk shared database, migration 0003: signed checkpoints (issue 12, witnessed history).
--
-- A checkpoint is the server's head (sequence number and hash, with the epoch) signed with
-- an Ed25519 key that never enters the database: `dutydesk server checkpoint` makes it on
-- the administrator's machine, keeps the private key in that machine's OS keyring,
-- publishes the public key as a file, checks that the log since the last checkpoint still
-- chains to it, signs the new head and stores the checkpoint here (and in the
-- administrator's own journal). `dutydesk audit verify --server` checks every checkpoint
-- it knows against the log with the trusted public key: a rewrite or a cut-off tail by
-- anyone with database rights (owner, superuser) cannot be re-signed, so it is reported as
-- "the server's history changed at seq N". Deleting checkpoints from this table is caught
-- by the administrator's journal.
--
-- This table holds nothing secret and nothing personal: sequence numbers, hashes (which
-- `hash_at` already reveals), times, the key's fingerprint and the signature.

CREATE TABLE dutydesk.checkpoints (
    seq         bigint PRIMARY KEY CHECK (seq >= 0),
    hash        text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    epoch       uuid NOT NULL,
    signed_at   text NOT NULL,
    key_id      text NOT NULL,
    signature   text NOT NULL
);

ALTER TABLE dutydesk.checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON dutydesk.checkpoints TO dutydesk_owner USING (true) WITH CHECK (true);
REVOKE ALL ON dutydesk.checkpoints FROM PUBLIC;

-- Every checkpoint, oldest first, for verifiers (desks and `audit verify --server`).
CREATE FUNCTION dutydesk.checkpoints()
RETURNS TABLE (seq bigint, hash text, epoch uuid, signed_at text, key_id text, signature text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT c.seq, c.hash, c.epoch, c.signed_at, c.key_id, c.signature
      FROM dutydesk.checkpoints c ORDER BY c.seq
$$;

REVOKE ALL ON FUNCTION dutydesk.checkpoints() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.checkpoints()
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
