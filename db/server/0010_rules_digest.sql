-- DutyDesk shared database, migration 0010: which DutyDesk's event rules the server holds
-- (issue 12, deployment).
--
-- `dutydesk.check_payload`, `dutydesk.event_rules` and `dutydesk.server_policy` are written
-- by `dutydesk server init|upgrade` from the INSTALLED DutyDesk's event catalogue, not by a
-- migration. A release that changes the rules without a migration would leave desks of the
-- new version talking to a server with the old rules (their events refused, no message
-- saying why), and a desk older than the server's rules likewise. So `server init|upgrade`
-- now also stores the digest of what it wrote (sha256 over the rules, the policy and the
-- generated function text: dutydesk.sync.pg.rules_sql.rules_digest), and every desk reads
-- it with the server's state (`dutydesk.rules_digest()`, in the same query) and refuses a
-- server whose digest is not the one its own catalogue gives, before it pushes anything.
--
-- Only the owner writes the table (`_write_rules`, as the owner); a login reads the digest
-- through the definer function only. The digest says which catalogue wrote the rules, and
-- the catalogue ships with every desk, so it tells a login nothing it does not hold.

CREATE TABLE dutydesk.rules_installed (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    installed_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
ALTER TABLE dutydesk.rules_installed ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.rules_installed FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON dutydesk.rules_installed TO dutydesk_owner
    USING (true) WITH CHECK (true);
REVOKE ALL ON dutydesk.rules_installed FROM PUBLIC;

-- NULL until `server init|upgrade` has written the rules (it does so right after this
-- migration, in the same command).
CREATE FUNCTION dutydesk.rules_digest() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    RETURN (SELECT r.digest FROM dutydesk.rules_installed r);
END $$;

REVOKE ALL ON FUNCTION dutydesk.rules_digest() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.rules_digest()
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
