-- DutyDesk shared database, migration 0009: a desk asks `dutydesk.withheld` about all the
-- people it holds only when the answer may have changed (issue 19, desk-to-desk latency).
--
-- Since 0006 every desk sent the id of every person it holds after every pull, 1000 a call:
-- about 30 round trips and ~320 ms per sync at 200k events, growing with the log. Now the
-- desk first asks `dutydesk.withheld_stamp()`, a digest of everything the calling login's
-- answer from `withheld` depends on:
--   * the server's epoch and the session's login (a stamp never carries over to another
--     login or a replaced server);
--   * `restriction_version`, bumped in the same transaction by every statement that
--     changes `dutydesk.restrictions` (a restriction made, re-issued or widened by
--     access.granted, the table rebuilt from the log; a trigger, so no path forgets it);
--   * the policy (view_restricted groups, break_glass_hours);
--   * every role the login is a member of now (granted or revoked a group, a named group
--     created or dropped);
--   * the login's own break-glass openings still inside break_glass_hours (one lapsing
--     changes the stamp, so the person is withheld again at the next sync).
-- When the stamp equals the one its last complete answer was taken under, the desk asks
-- only about the people named by events it stored since (usually none); otherwise about
-- everyone it holds, and it keeps the stamp read *before* that answer, so a change racing
-- the answer is caught by the next round. The desk cannot make the server's stamp stand
-- still: a change it would miss changes the digest, whatever the desk sends.
--
-- What the stamp tells a login: that something above changed between two of its calls,
-- not what, whom or how much (md5 of the parts; the counter itself is not returned).
-- Another login's break-glass does not change it. Changes to the restrictions table come
-- only from events hidden from everyone not named on them, whose sequence numbers the
-- login already sees missing from its pull, so it learns nothing the log's gaps do not say.
--
-- `withheld` itself is replaced: the same rule and answer, matched by a hash join on the
-- ids as text (not `= ANY` per restriction), at most 50,000 ids a call, so a full refresh
-- of 200k people is four calls.

CREATE TABLE dutydesk.restriction_version (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version     bigint NOT NULL DEFAULT 0
);
INSERT INTO dutydesk.restriction_version DEFAULT VALUES;
ALTER TABLE dutydesk.restriction_version ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.restriction_version FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON dutydesk.restriction_version TO dutydesk_owner
    USING (true) WITH CHECK (true);
REVOKE ALL ON dutydesk.restriction_version FROM PUBLIC;

-- Not SECURITY DEFINER: only the owner writes `restrictions` (submit, rebuilds, upgrades).
CREATE FUNCTION dutydesk.bump_restriction_version() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    UPDATE dutydesk.restriction_version SET version = version + 1 WHERE singleton;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION dutydesk.bump_restriction_version() FROM PUBLIC;

CREATE TRIGGER restrictions_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dutydesk.restrictions
    FOR EACH STATEMENT EXECUTE FUNCTION dutydesk.bump_restriction_version();

CREATE FUNCTION dutydesk.withheld_stamp() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    who text := session_user;
    pol jsonb;
    parts text;
BEGIN
    SELECT p.policy INTO pol FROM dutydesk.server_policy p;
    -- (format writes a NULL part as empty text, so every part keeps its place)
    SELECT pg_catalog.format(
               '%s|%s|%s|%s|%s|%s',
               (SELECT i.epoch::text FROM dutydesk.server_info i),
               pg_catalog.quote_ident(who),
               (SELECT v.version::text FROM dutydesk.restriction_version v),
               pol::text,
               (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(r.rolname), ','
                                             ORDER BY r.rolname)
                  FROM pg_catalog.pg_roles r
                 WHERE pg_catalog.pg_has_role(who, r.oid, 'MEMBER')),
               (SELECT pg_catalog.string_agg(b.person_id::text || '@' || b.opened_at::text, ','
                                             ORDER BY b.person_id, b.opened_at)
                  FROM dutydesk.break_glass b
                 WHERE b.login = who
                   AND b.opened_at > pg_catalog.now() - pg_catalog.make_interval(
                           hours => (pol->>'break_glass_hours')::integer)))
      INTO parts;
    RETURN pg_catalog.md5(parts);
END $$;

CREATE OR REPLACE FUNCTION dutydesk.withheld(p_person_ids text[]) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    who text := session_user;
    pol jsonb;
BEGIN
    IF p_person_ids IS NULL OR pg_catalog.cardinality(p_person_ids) > 50000 THEN
        RAISE EXCEPTION 'ask about at most 50000 people at a time' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM dutydesk.restrictions) THEN
        RETURN;  -- the common case, one cheap probe
    END IF;
    SELECT p.policy INTO pol FROM dutydesk.server_policy p;
    RETURN QUERY
        SELECT r.person_id::text
          FROM dutydesk.restrictions r
         WHERE r.person_id::text IN (SELECT DISTINCT q.id
                                       FROM pg_catalog.unnest(p_person_ids) AS q(id))
           AND NOT dutydesk.has_access(who, NULL, r.person_id, r.allowed, pol);
END $$;

REVOKE ALL ON FUNCTION dutydesk.withheld_stamp() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.withheld_stamp()
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
