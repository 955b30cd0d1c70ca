-- DutyDesk shared database, migration 0006: which people a desk already holds are now
-- withheld from its login (issue 13, the restricted-child leak).
--
-- `may_read` hides a `record.restricted` event from everyone not named on it (whether a
-- person is restricted is nobody's business who cannot see them), so a desk that pulled a
-- child's records *before* the restriction never learns of it and kept showing them. After
-- each pull the desk sends the ids of the people it holds; this answers which of them are
-- restricted and not readable by the calling login now: the same rule as `may_read`
-- (`has_access`: the policy's view_restricted groups, named logins or groups, break-glass
-- within policy.break_glass_hours). The desk then hides those people exactly like a
-- restriction it is not named on, and shows them again when a later answer leaves them out
-- (restriction re-issued naming it, access granted, glass broken).
--
-- Nothing here says more than the events a login already read: an id that is not a
-- restricted person (unknown, made up, not a uuid, or unrestricted) is never returned, so
-- the answer does not tell an existing unrestricted person from one that never existed.
-- Ids are compared as text, so a malformed id is simply not found (no error to probe with).

CREATE FUNCTION dutydesk.withheld(p_person_ids text[]) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    who text := session_user;
    pol jsonb;
BEGIN
    IF p_person_ids IS NULL OR pg_catalog.cardinality(p_person_ids) > 1000 THEN
        RAISE EXCEPTION 'ask about at most 1000 people at a time' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM dutydesk.restrictions) THEN
        RETURN;  -- the common case, one cheap probe
    END IF;
    SELECT p.policy INTO pol FROM dutydesk.server_policy p;
    RETURN QUERY
        SELECT DISTINCT r.person_id::text
          FROM dutydesk.restrictions r
         WHERE r.person_id::text = ANY (p_person_ids)
           AND NOT dutydesk.has_access(who, NULL, r.person_id, r.allowed, pol);
END $$;

REVOKE ALL ON FUNCTION dutydesk.withheld(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.withheld(text[])
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
