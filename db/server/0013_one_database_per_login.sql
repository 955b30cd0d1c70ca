-- DutyDesk shared database, migration 0013: several authorities in one cluster (issue 19).
--
-- Roles are cluster-wide and DutyDesk's groups have fixed names, so before this a login of
-- authority B (a member of `duty_manager` for B's database) could connect to authority A's
-- database and read and record there as a duty manager: the database's CONNECT right was
-- PUBLIC's. Now (with `dutydesk server init|upgrade`'s hardening, dutydesk/sync/pg/admin.py):
--
-- - CONNECT on the database is revoked from PUBLIC and granted to each login by
--   `dutydesk server add-user` on that database only; a login is a login of one database
--   (add-user refuses a login that may connect to another DutyDesk database of the cluster,
--   because its group memberships would count in both).
-- - What lists or checks "the DutyDesk logins" counts only logins that may connect to this
--   database: the people directory (`directory()`) and who may hold a contact
--   (`may_hold_contacts`). Without that, A's desks would list B's staff, and A's contacts
--   could be assigned to them.
--
-- Upgrading a database that already has logins keeps them working: the `upgrade` that
-- applies this migration grants CONNECT to every login then in a DutyDesk group (the
-- owner running this file may not grant on the database; admin.py does it). A fresh `init`
-- grants nobody: a second authority's new database in the same cluster must not inherit
-- the first authority's staff. So upgrade an existing authority's database before another
-- authority's database is added to its cluster.

CREATE OR REPLACE FUNCTION dutydesk.directory()
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
       AND pg_catalog.has_database_privilege(m.oid, pg_catalog.current_database(), 'CONNECT')
     ORDER BY 2, 1, 3
$$;

CREATE OR REPLACE FUNCTION dutydesk.may_hold_contacts(p_login text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_auth_members a
          JOIN pg_catalog.pg_roles g ON g.oid = a.roleid
          JOIN pg_catalog.pg_roles m ON m.oid = a.member
         WHERE m.rolname = p_login
           AND m.rolcanlogin AND NOT m.rolsuper AND NOT m.rolbypassrls
           AND pg_catalog.has_database_privilege(m.oid, pg_catalog.current_database(),
                                                 'CONNECT')
           AND g.rolname IN ('contact_officer', 'practitioner', 'senior_practitioner',
                             'duty_manager', 'auditor', 'admin')
           AND EXISTS (SELECT 1 FROM dutydesk.server_policy p
                        WHERE (p.policy->'hold_contacts') ? g.rolname::text))
$$;
