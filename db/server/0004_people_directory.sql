-- DutyDesk shared database, migration 0004: the people directory (issue 13).
--
-- Every login in a DutyDesk group role, with the display name the administrator gave it
-- (`dutydesk server add-user --name`), so desks show people by name and Assign picks from
-- the people who exist. Logins and roles come from PostgreSQL itself (pg_auth_members), so
-- the directory cannot disagree with who may sign in; only display names are stored.
-- Superusers and roles that bypass row-level security are never listed (a desk refuses
-- them). Clients read it through `dutydesk.directory()` only; nobody but the owner writes.

CREATE TABLE dutydesk.people_directory (
    login name PRIMARY KEY,
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE dutydesk.people_directory ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.people_directory FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON dutydesk.people_directory TO dutydesk_owner
    USING (true) WITH CHECK (true);
REVOKE ALL ON dutydesk.people_directory FROM PUBLIC;

CREATE FUNCTION dutydesk.directory()
RETURNS TABLE (login text, display_name text, role text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp
AS $$
    SELECT m.rolname::text, COALESCE(d.display_name, m.rolname::text), g.rolname::text
      FROM pg_catalog.pg_auth_members a
      JOIN pg_catalog.pg_roles g ON g.oid = a.roleid
      JOIN pg_catalog.pg_roles m ON m.oid = a.member
      LEFT JOIN dutydesk.people_directory d ON d.login = m.rolname
     WHERE g.rolname IN ('contact_officer', 'practitioner', 'senior_practitioner',
                         'duty_manager', 'auditor', 'admin')
       AND m.rolcanlogin AND NOT m.rolsuper AND NOT m.rolbypassrls
     ORDER BY 2, 1, 3
$$;
REVOKE ALL ON FUNCTION dutydesk.directory() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.directory()
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
