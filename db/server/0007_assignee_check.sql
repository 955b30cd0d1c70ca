-- DutyDesk shared database, migration 0007: a contact is assigned only to a person who may
-- hold one (issue 13, the people directory).
--
-- The desk's Assign picks from the people directory and refuses anyone else
-- (dutydesk.domain.directory.PeopleDirectory.require_assignable): a login listed by
-- `dutydesk.directory()` (a LOGIN role, not superuser, not BYPASSRLS, a member of a
-- DutyDesk group) in a role that may take a contact (Action.TAKE_CONTACT). `submit` did not
-- check it, so a modified desk or a direct login could assign a contact to a made-up login,
-- an auditor, an administrator or a login removed with `dutydesk server remove-user`.
--
-- `dutydesk.check_payload` (compiled by `dutydesk server init|upgrade`,
-- dutydesk/sync/pg/rules_sql.py) now calls this for `contact.assigned` and refuses the event
-- with "contact.assigned.assignee: assignee x is not an active DutyDesk login who may hold
-- contacts". The roles come from policy.hold_contacts (written from the desk's
-- PERMISSIONS[TAKE_CONTACT] by the same upgrade), so desk and server name the same roles.
-- The answer depends only on the assignee, never on the contact, so it says nothing about a
-- restricted record; who may hold contacts is what `directory()` already shows every login.
--
-- Not SECURITY DEFINER: it runs inside `submit` (the owner's) and nobody else may call it.

CREATE FUNCTION dutydesk.may_hold_contacts(p_login text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_auth_members a
          JOIN pg_catalog.pg_roles g ON g.oid = a.roleid
          JOIN pg_catalog.pg_roles m ON m.oid = a.member
         WHERE m.rolname = p_login
           AND m.rolcanlogin AND NOT m.rolsuper AND NOT m.rolbypassrls
           AND g.rolname IN ('contact_officer', 'practitioner', 'senior_practitioner',
                             'duty_manager', 'auditor', 'admin')
           AND EXISTS (SELECT 1 FROM dutydesk.server_policy p
                        WHERE (p.policy->'hold_contacts') ? g.rolname::text))
$$;

REVOKE ALL ON FUNCTION dutydesk.may_hold_contacts(text) FROM PUBLIC;
