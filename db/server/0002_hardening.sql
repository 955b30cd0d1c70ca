-- DutyDesk shared database, migration 0002: hardening (issue 12).
--
-- Applied as the owner role `dutydesk_owner` inside one transaction, like 0001. What the
-- owner cannot do itself (database-level REVOKEs, role settings, predefined-role grants)
-- the runner does as the administrator (dutydesk/sync/pg/admin.py, `_harden`).
--
-- 1. Every function runs with `search_path = pg_catalog, dutydesk, pg_temp` (pg_temp LAST:
--    unnamed, PostgreSQL searches the session's temporary schema FIRST for tables, views
--    and types, so a login's temporary `pg_roles` view ran inside the definer) and names
--    its objects with their schema. Operators are resolved through that pinned path
--    (pg_catalog first; the temporary schema is never searched for operators/functions).
-- 2. Payload validation: `dutydesk.event_rules` holds one JSON rule per event type and
--    `dutydesk.server_policy` the restriction and time rules; both are written by
--    `dutydesk server init|upgrade` from dutydesk/domain/server_rules.py (the one catalogue),
--    never by hand here, which also compiles the rules into `dutydesk.check_payload`.
-- 3. Restrictions as on the desk: break-glass needs a role that may view restricted records
--    and a reason, and lapses after the desk's BREAK_GLASS_HOURS; writes into a restricted
--    record need access; admins read no restricted content; unlinking removes the link.
-- 4. Nothing is granted to PUBLIC; clients get EXECUTE only on what they call.

-- ---- new tables ----------------------------------------------------------------------------

CREATE TABLE dutydesk.event_rules (
    event_type  text PRIMARY KEY,
    rule        jsonb NOT NULL
);

CREATE TABLE dutydesk.server_policy (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    policy      jsonb NOT NULL
);

-- Who broke the glass on which restricted person, and when (server clock): access lapses
-- after policy.break_glass_hours, as on the desk.
CREATE TABLE dutydesk.break_glass (
    person_id   uuid NOT NULL,
    login       text NOT NULL,
    opened_at   timestamptz NOT NULL,
    PRIMARY KEY (person_id, login, opened_at)
);

ALTER TABLE dutydesk.event_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.event_rules FORCE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.server_policy ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.server_policy FORCE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.break_glass ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.break_glass FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON dutydesk.event_rules TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON dutydesk.server_policy TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON dutydesk.break_glass TO dutydesk_owner USING (true) WITH CHECK (true);

-- ---- pinned helpers ------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION dutydesk.canonical_json(v jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    kind text := pg_catalog.jsonb_typeof(v);
    out text;
BEGIN
    IF kind = 'object' THEN
        SELECT '{' || coalesce(pg_catalog.string_agg(
                   pg_catalog.to_jsonb(e.key)::pg_catalog.text || ':'
                   || dutydesk.canonical_json(e.value), ',' ORDER BY e.key COLLATE "C"), '')
                   || '}'
          INTO out FROM pg_catalog.jsonb_each(v) AS e;
        RETURN out;
    ELSIF kind = 'array' THEN
        SELECT '[' || coalesce(pg_catalog.string_agg(
                   dutydesk.canonical_json(a.value), ',' ORDER BY a.ord), '') || ']'
          INTO out FROM pg_catalog.jsonb_array_elements(v) WITH ORDINALITY AS a(value, ord);
        RETURN out;
    END IF;
    RETURN v::pg_catalog.text;
END $$;

CREATE OR REPLACE FUNCTION dutydesk.event_hash(prev_hash text, content text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(
        pg_catalog.convert_to(prev_hash || content, 'UTF8')), 'hex')
$$;

-- The words for a JSON value's kind, as the desk's messages put them.
CREATE FUNCTION dutydesk.json_kind(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT CASE pg_catalog.jsonb_typeof(v)
        WHEN 'string' THEN 'text' WHEN 'number' THEN 'a number'
        WHEN 'boolean' THEN 'true/false' WHEN 'array' THEN 'a list'
        WHEN 'object' THEN 'an object' WHEN 'null' THEN 'null' ELSE 'nothing' END
$$;

-- A calendar date written YYYY-MM-DD, or NULL (no exception: no subtransaction).
CREATE FUNCTION dutydesk.parse_date(s text) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    IF s !~ '^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
       OR (pg_catalog.substr(s, 9, 2) > '28'
           AND pg_catalog.to_char((pg_catalog.substr(s, 1, 8) || '01')::date
                                  + '1 month -1 day'::interval, 'DD') < pg_catalog.substr(s, 9, 2)) THEN
        RETURN NULL;
    END IF;
    RETURN s::date;
END $$;

-- An aware timestamp in the form Python's datetime.isoformat() writes (what desks send).
CREATE FUNCTION dutydesk.parse_timestamp(s text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    IF s !~ ('^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-'
             '(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{6})?'
             '[+-]([01][0-9]|2[0-3]):[0-5][0-9]$')
       OR dutydesk.parse_date(pg_catalog.substr(s, 1, 10)) IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN s::timestamptz;
END $$;

CREATE FUNCTION dutydesk.nhs_number_ok(s text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    total integer := 0;
    check_digit integer;
BEGIN
    IF s !~ '^[0-9]{10}$' OR s ~ '^(.)\1{9}$' THEN
        RETURN false;
    END IF;
    FOR i IN 1..9 LOOP
        total := total + pg_catalog.substr(s, i, 1)::integer * (11 - i);
    END LOOP;
    check_digit := 11 - total % 11;
    IF check_digit = 11 THEN
        check_digit := 0;
    END IF;
    RETURN check_digit <> 10 AND check_digit = pg_catalog.substr(s, 10, 1)::integer;
END $$;

-- The payload check. This placeholder refuses everything: `dutydesk server init|upgrade`
-- replaces it at once with the one compiled from the catalogue's rules
-- (dutydesk/sync/pg/rules_sql.py; the rules themselves are kept in dutydesk.event_rules).
-- NULL when the payload keeps the rules, else "path: what is wrong".
CREATE FUNCTION dutydesk.check_payload(p_type text, p_payload jsonb, p_today date)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    RETURN pg_catalog.format('the server has no validation rule for %s; the administrator '
                             'must run `dutydesk server upgrade`', p_type);
END $$;

-- The client time: the form desks write, not before policy.client_time_earliest and not
-- further ahead of the server's clock than policy.client_time_ahead_minutes. NULL when ok.
CREATE FUNCTION dutydesk.check_client_time(p_time text, p_policy jsonb) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    at timestamptz := dutydesk.parse_timestamp(p_time);
BEGIN
    IF at IS NULL THEN
        RETURN 'client_time: ' || coalesce(pg_catalog.to_jsonb(p_time)::text, '(none)')
               || ' is not a date and time with a time zone (ISO 8601)';
    END IF;
    IF at < (p_policy->>'client_time_earliest')::timestamptz THEN
        RETURN 'client_time: ' || p_time || ' is implausibly early';
    END IF;
    IF at > pg_catalog.clock_timestamp()
             + pg_catalog.make_interval(mins => (p_policy->>'client_time_ahead_minutes')::integer) THEN
        RETURN 'client_time: ' || p_time || ' is ahead of the server''s clock by more than '
               || (p_policy->>'client_time_ahead_minutes') || ' minutes; check this computer''s clock';
    END IF;
    RETURN NULL;
END $$;

-- ---- restrictions ---------------------------------------------------------------------------

-- May login `who` read or write a restricted person's record? Only in a role that may view
-- restricted records (policy.view_restricted: not contact officers, not admins), and only
-- when named on the record (login or group), or within break_glass_hours of breaking the
-- glass. p_role: the role acted in (a write), or NULL for any of the login's roles (a read).
CREATE FUNCTION dutydesk.has_access(who text, p_role text, p_person uuid, p_allowed text[],
                                    p_policy jsonb)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT CASE WHEN p_role IS NOT NULL
                THEN (p_policy->'view_restricted') ? p_role
                ELSE EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements_text(
                                 p_policy->'view_restricted') AS g(name)
                              WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                             WHERE r.rolname = g.name)
                                AND pg_catalog.pg_has_role(who, g.name, 'MEMBER'))
           END
       AND (who = ANY (p_allowed)
            OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p_allowed) AS a(name)
                        WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = a.name)
                          AND pg_catalog.pg_has_role(who, a.name, 'MEMBER'))
            OR EXISTS (SELECT 1 FROM dutydesk.break_glass b
                        WHERE b.person_id = p_person AND b.login = who
                          AND b.opened_at > pg_catalog.now() - pg_catalog.make_interval(
                                  hours => (p_policy->>'break_glass_hours')::integer)))
$$;

-- The people whose restriction governs an event: those it names (a contact.received names
-- its children through contact_people instead, so unlinking a child uncovers the contact)
-- and those currently linked to its contact.
CREATE FUNCTION dutydesk.governing_people(p_type text, p_people uuid[], p_contact uuid)
RETURNS uuid[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT CASE WHEN p_type = 'contact.received' THEN '{}'::uuid[] ELSE p_people END
           || coalesce((SELECT pg_catalog.array_agg(cp.person_id)
                                     FROM dutydesk.contact_people cp
                                    WHERE cp.contact_id = p_contact), '{}'::uuid[])
$$;

-- Row-level security for clients reading events. Takes only the sequence number and looks
-- the event up itself, so it cannot be asked about made-up person ids (whether a person
-- is restricted is nobody's business who cannot see them).
CREATE FUNCTION dutydesk.may_read(p_seq bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    who text := session_user;
    ev record;
    pol jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dutydesk.restrictions) THEN
        RETURN true;  -- the common case, one cheap probe
    END IF;
    SELECT e.type, e.person_ids, e.contact_id INTO ev FROM dutydesk.events e WHERE e.seq = p_seq;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    SELECT p.policy INTO pol FROM dutydesk.server_policy p;
    RETURN NOT EXISTS (
        SELECT 1 FROM dutydesk.restrictions r
         WHERE r.person_id = ANY (dutydesk.governing_people(ev.type, ev.person_ids, ev.contact_id))
           AND NOT dutydesk.has_access(who, NULL, r.person_id, r.allowed, pol));
END $$;

-- What an accepted event changes in the tables row-level security reads. Also used to
-- rebuild them from the log (below), so they always follow from the hashed events.
CREATE FUNCTION dutydesk.apply_side_tables(p_type text, p_payload jsonb, p_contact uuid,
                                           p_people uuid[], p_login text, p_at timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    IF p_contact IS NOT NULL AND pg_catalog.cardinality(p_people) > 0
       AND p_type IN ('contact.received', 'person.linked') THEN
        INSERT INTO dutydesk.contact_people (contact_id, person_id)
        SELECT p_contact, p FROM pg_catalog.unnest(p_people) AS p ON CONFLICT DO NOTHING;
    ELSIF p_type = 'person.unlinked' AND p_contact IS NOT NULL THEN
        DELETE FROM dutydesk.contact_people cp
         WHERE cp.contact_id = p_contact AND cp.person_id = ANY (p_people);
    ELSIF p_type = 'record.restricted' THEN
        INSERT INTO dutydesk.restrictions AS r (person_id, allowed)
        VALUES ((p_payload->>'person_id')::uuid,
                ARRAY(SELECT pg_catalog.jsonb_array_elements_text(p_payload->'allowed')))
        ON CONFLICT (person_id) DO UPDATE SET allowed = EXCLUDED.allowed;
    ELSIF p_type = 'access.granted' THEN
        UPDATE dutydesk.restrictions r
           SET allowed = pg_catalog.array_append(r.allowed, p_payload->>'grantee')
         WHERE r.person_id = (p_payload->>'person_id')::uuid;
    ELSIF p_type = 'access.break_glass' THEN
        INSERT INTO dutydesk.break_glass (person_id, login, opened_at)
        VALUES ((p_payload->>'person_id')::uuid, p_login, p_at) ON CONFLICT DO NOTHING;
    END IF;
END $$;

-- ---- lock holders --------------------------------------------------------------------------

-- Ends sessions that sit idle inside a transaction while holding the counter row (a login
-- that called submit in an open transaction and walked away would otherwise stop every
-- desk's submit). Needs pg_signal_backend and pg_read_all_stats, granted to the owner by
-- `dutydesk server init|upgrade`; without them it ends nothing.
CREATE FUNCTION dutydesk.end_idle_lock_holders() RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    ended integer := 0;
    holder integer;
BEGIN
    FOR holder IN
        SELECT a.pid FROM pg_catalog.pg_stat_activity a
         WHERE a.state IN ('idle in transaction', 'idle in transaction (aborted)')
           AND a.pid <> pg_catalog.pg_backend_pid()
           AND a.pid IN (SELECT l.pid FROM pg_catalog.pg_locks l
                          WHERE l.relation = 'dutydesk.counter'::pg_catalog.regclass
                            AND l.granted)
    LOOP
        BEGIN
            IF pg_catalog.pg_terminate_backend(holder) THEN
                ended := ended + 1;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;  -- documented: the administrator did not grant pg_signal_backend
        END;
    END LOOP;
    RETURN ended;
END $$;

-- ---- submit ---------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION dutydesk.submit(p_events jsonb)
RETURNS TABLE (id uuid, status text, seq bigint, server_time text, hash text,
               prev_hash text, reason text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
#variable_conflict use_column
DECLARE
    who text := session_user;
    pol jsonb;
    e jsonb;
    c dutydesk.counter%ROWTYPE;
    stored dutydesk.events%ROWTYPE;
    v_id uuid;
    v_type text;
    v_role text;
    v_payload jsonb;
    v_text text;
    v_people uuid[];
    v_contact uuid;
    v_time text;
    v_at timestamptz;
    v_hash text;
    v_why text;
    v_added integer := 0;
    uuid_re constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
    ct_re constant text := '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T'
                           '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{6})?'
                           '[+-]([01][0-9]|2[0-3]):[0-5][0-9]$';
    earliest timestamptz;
    latest timestamptz;
    any_restricted boolean;
BEGIN
    IF pg_catalog.jsonb_typeof(p_events) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'submit expects a JSON array of events' USING ERRCODE = '22023';
    END IF;
    SELECT p.policy INTO pol FROM dutydesk.server_policy p;
    IF pol IS NULL THEN
        RAISE EXCEPTION 'the server has no validation rules; the administrator must run '
                        '`dutydesk server upgrade`' USING ERRCODE = '55000';
    END IF;
    -- Held until commit: sequence order is commit order. Bounded wait: a session idling
    -- in an open transaction that holds the row is ended, then the wait is tried once more.
    PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    BEGIN
        SELECT * INTO c FROM dutydesk.counter WHERE singleton FOR UPDATE;
    EXCEPTION WHEN lock_not_available THEN
        PERFORM dutydesk.end_idle_lock_holders();
        PERFORM pg_catalog.set_config('lock_timeout', '20s', true);
        SELECT * INTO c FROM dutydesk.counter WHERE singleton FOR UPDATE;
    END;
    v_at := pg_catalog.clock_timestamp();
    v_time := pg_catalog.to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    earliest := (pol->>'client_time_earliest')::timestamptz;
    latest := v_at + pg_catalog.make_interval(mins => (pol->>'client_time_ahead_minutes')::integer);
    any_restricted := EXISTS (SELECT 1 FROM dutydesk.restrictions);

    FOR e IN SELECT a.value FROM pg_catalog.jsonb_array_elements(p_events) AS a LOOP
        v_why := NULL;
        v_id := NULL;
        IF pg_catalog.jsonb_typeof(e) IS DISTINCT FROM 'object' OR (e->>'id') !~ uuid_re THEN
            id := NULL; status := 'rejected'; seq := NULL; server_time := NULL;
            hash := NULL; prev_hash := NULL; reason := 'event has no valid id';
            RETURN NEXT;
            CONTINUE;
        END IF;
        v_id := (e->>'id')::uuid;
        v_type := e->>'type';
        v_role := e->>'actor_role';
        v_text := e->>'payload_text';
        -- Text that is not JSON fails the whole call (a desk then sends events one by one).
        v_payload := v_text::jsonb;

        SELECT * INTO stored FROM dutydesk.events ev WHERE ev.id = v_id;
        IF FOUND THEN
            -- Only the login that stored it hears "duplicate": nobody else may use this
            -- answer to test guesses about an event they cannot read.
            IF stored.submitted_by = who AND stored.type = v_type
               AND stored.schema_version::text = e->>'schema_version'
               AND stored.actor = e->>'actor' AND stored.actor_role = v_role
               AND stored.device = e->>'device' AND stored.client_time = e->>'client_time'
               AND stored.payload_text = v_text THEN
                id := v_id; status := 'duplicate'; seq := stored.seq;
                server_time := stored.server_time; hash := stored.hash;
                prev_hash := stored.prev_hash; reason := NULL;
            ELSE
                id := v_id; status := 'rejected'; seq := NULL; server_time := NULL;
                hash := NULL; prev_hash := NULL;
                reason := 'this event id is already stored with different content';
            END IF;
            RETURN NEXT;
            CONTINUE;
        END IF;

        IF v_payload IS NULL OR pg_catalog.jsonb_typeof(v_payload) <> 'object' THEN
            v_why := 'the payload is not a JSON object';
        ELSIF dutydesk.canonical_json(v_payload) <> v_text THEN
            v_why := 'the payload is not in canonical form';
        ELSIF coalesce(e->>'schema_version', '') <> '1' THEN
            v_why := pg_catalog.format('schema version %s is not supported by this server',
                                       coalesce(e->>'schema_version', '(none)'));
        ELSIF NOT EXISTS (SELECT 1 FROM dutydesk.event_permissions p WHERE p.event_type = v_type) THEN
            v_why := pg_catalog.format('unknown event type %s', coalesce(v_type, '(none)'));
        ELSIF e->>'actor' IS DISTINCT FROM who THEN
            v_why := pg_catalog.format('the event names actor %s but was sent by login %s',
                                       coalesce(e->>'actor', '(none)'), who);
        ELSIF v_role IS NULL OR NOT (pol->'roles') ? v_role
              OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = v_role)
              OR NOT pg_catalog.pg_has_role(who, v_role, 'MEMBER') THEN
            v_why := pg_catalog.format('login %s is not a member of the %s role', who,
                                       coalesce(v_role, '(none)'));
        ELSIF NOT EXISTS (SELECT 1 FROM dutydesk.event_permissions p
                           WHERE p.event_type = v_type AND p.role = v_role) THEN
            v_why := pg_catalog.format('the %s role may not record %s', v_role, v_type);
        ELSIF pg_catalog.jsonb_typeof(e->'device') IS DISTINCT FROM 'string'
              OR pg_catalog.length(e->>'device') NOT BETWEEN 1 AND 200 THEN
            v_why := 'the event has no device (or a device name longer than 200 characters)';
        ELSIF (e->>'client_time') !~ ct_re
              OR (pg_catalog.substr(e->>'client_time', 9, 2) > '28' AND
                  dutydesk.parse_date(pg_catalog.substr(e->>'client_time', 1, 10)) IS NULL) THEN
            v_why := dutydesk.check_client_time(e->>'client_time', pol);  -- says what is wrong
        ELSIF (e->>'client_time')::timestamptz < earliest
              OR (e->>'client_time')::timestamptz > latest THEN
            v_why := dutydesk.check_client_time(e->>'client_time', pol);
        END IF;
        IF v_why IS NULL THEN
            v_why := dutydesk.check_payload(v_type, v_payload,
                                            pg_catalog.substr(e->>'client_time', 1, 10)::date);
        END IF;
        IF v_why IS NULL AND v_type = 'contact.rating_overridden'
           AND v_payload->>'from_rating' = 'red' AND v_payload->>'to_rating' IS DISTINCT FROM 'red'
           AND NOT (pol->'lower_red') ? v_role THEN
            v_why := 'only a duty manager or senior practitioner may lower a Red rating';
        END IF;

        IF v_why IS NULL THEN
            -- The people this event is about: payload.person_id and children[].person_id,
            -- as dutydesk.domain.events.Event.person_ids (validated as UUIDs above).
            SELECT coalesce(pg_catalog.array_agg(DISTINCT x::uuid), '{}')
              INTO v_people FROM (
                SELECT v_payload->>'person_id' AS x
                UNION ALL
                SELECT ch->>'person_id' FROM pg_catalog.jsonb_array_elements(
                    CASE WHEN pg_catalog.jsonb_typeof(v_payload->'children') = 'array'
                         THEN v_payload->'children' ELSE '[]'::jsonb END) AS ch
            ) AS p WHERE x ~ uuid_re;
            v_contact := CASE WHEN (v_payload->>'contact_id') ~ uuid_re
                              THEN (v_payload->>'contact_id')::uuid END;

            IF v_type = 'access.break_glass' THEN
                IF NOT (pol->'view_restricted') ? v_role THEN
                    v_why := pg_catalog.format('the %s role may not open restricted records, '
                                               'so it may not break the glass', v_role);
                ELSIF pg_catalog.length(pg_catalog.btrim(coalesce(
                          v_payload->>'reason', ''))) < (pol->>'min_reason_chars')::integer THEN
                    v_why := pg_catalog.format('access.break_glass.reason: say why in at least '
                                               '%s characters', pol->>'min_reason_chars');
                END IF;
            ELSIF any_restricted AND NOT (pol->'restriction_exempt') ? v_type AND EXISTS (
                    SELECT 1 FROM dutydesk.restrictions r
                     WHERE r.person_id = ANY (dutydesk.governing_people(v_type, v_people, v_contact))
                       AND NOT dutydesk.has_access(who, v_role, r.person_id, r.allowed, pol)) THEN
                v_why := pg_catalog.format('login %s (%s) has no access to a restricted record '
                                           'this event is about; ask an administrator, or break '
                                           'the glass with a reason', who, v_role);
            END IF;
        END IF;

        IF v_why IS NOT NULL THEN
            id := v_id; status := 'rejected'; seq := NULL; server_time := NULL;
            hash := NULL; prev_hash := NULL; reason := v_why;
            RETURN NEXT;
            CONTINUE;
        END IF;

        c.last_seq := c.last_seq + 1;
        -- The canonical content (dutydesk/domain/hashchain.py), keys in code point order,
        -- written out around the payload text already checked to be canonical (so the
        -- payload is not serialised twice). Strings as jsonb writes them, as Python's json.
        v_hash := dutydesk.event_hash(c.last_hash,
            '{"actor":' || pg_catalog.to_jsonb(e->>'actor')::text
            || ',"actor_role":' || pg_catalog.to_jsonb(v_role)::text
            || ',"client_time":' || pg_catalog.to_jsonb(e->>'client_time')::text
            || ',"device":' || pg_catalog.to_jsonb(e->>'device')::text
            || ',"id":"' || v_id::text || '","payload":' || v_text
            || ',"schema_version":1,"server_seq":' || c.last_seq::text
            || ',"server_time":"' || v_time || '","type":' || pg_catalog.to_jsonb(v_type)::text
            || '}');
        INSERT INTO dutydesk.events (seq, id, type, schema_version, actor, actor_role, device,
                                     client_time, payload, payload_text, contact_id,
                                     person_ids, server_time, hash, prev_hash, submitted_by)
        VALUES (c.last_seq, v_id, v_type, 1, e->>'actor', v_role, e->>'device',
                e->>'client_time', v_payload, v_text, v_contact, v_people, v_time, v_hash,
                c.last_hash, who);
        id := v_id; status := 'accepted'; seq := c.last_seq; server_time := v_time;
        hash := v_hash; prev_hash := c.last_hash; reason := NULL;
        c.last_hash := v_hash;
        v_added := v_added + 1;
        RETURN NEXT;

        IF v_type IN ('contact.received', 'person.linked', 'person.unlinked',
                      'record.restricted', 'access.granted', 'access.break_glass') THEN
            PERFORM dutydesk.apply_side_tables(v_type, v_payload, v_contact, v_people, who, v_at);
            any_restricted := any_restricted OR v_type = 'record.restricted';
        END IF;
    END LOOP;

    IF v_added > 0 THEN
        UPDATE dutydesk.counter SET last_seq = c.last_seq, last_hash = c.last_hash
         WHERE singleton;
        PERFORM pg_catalog.pg_notify('dutydesk_events', '');  -- a poke only, no content
    END IF;
END $$;

CREATE OR REPLACE FUNCTION dutydesk.server_state()
RETURNS TABLE (epoch uuid, schema_version integer, head_seq bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT i.epoch, (SELECT pg_catalog.max(m.version) FROM dutydesk.schema_migrations m),
           c.last_seq
      FROM dutydesk.server_info i, dutydesk.counter c
$$;

CREATE OR REPLACE FUNCTION dutydesk.hash_at(p_seq bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
    SELECT e.hash FROM dutydesk.events e WHERE e.seq = p_seq
$$;

-- The server's own walk of its chain, for `dutydesk audit verify --server`: recomputes the
-- hash of every event in (p_after, p_after + p_limit], hidden ones included, and checks the
-- columns kept beside the hashed content (the JSON payload copy, person ids, contact id,
-- submitted_by) follow from it, and that the counter agrees with the last row. Answers
-- only sequence numbers and what is wrong, never content, so a login that may read the
-- audit learns nothing about records hidden from it. (A database owner could replace this
-- function: signed checkpoints and desks' witnessed heads are the check against them.)
CREATE FUNCTION dutydesk.chain_check(p_after bigint, p_limit integer)
RETURNS TABLE (checked bigint, last_seq bigint, bad_seq bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    ev dutydesk.events%ROWTYPE;
    expected_prev text;
    next_seq bigint := p_after + 1;
    derived uuid[];
    n bigint := 0;
    head dutydesk.counter%ROWTYPE;
    uuid_re constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'auditor', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'duty_manager', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only an auditor, duty manager or administrator may check the chain'
            USING ERRCODE = '42501';
    END IF;
    IF p_after = 0 THEN
        expected_prev := pg_catalog.repeat('0', 64);
    ELSE
        SELECT e.hash INTO expected_prev FROM dutydesk.events e WHERE e.seq = p_after;
    END IF;
    checked := 0; bad_seq := NULL; problem := NULL;
    FOR ev IN SELECT * FROM dutydesk.events e WHERE e.seq > p_after ORDER BY e.seq
               LIMIT p_limit LOOP
        bad_seq := ev.seq;
        IF ev.seq <> next_seq THEN
            bad_seq := next_seq;
            problem := 'sequence gap: no event has this sequence number (deleted)';
        ELSIF ev.prev_hash IS DISTINCT FROM expected_prev THEN
            problem := 'prev_hash mismatch: it does not link to the event before';
        ELSIF ev.payload_text::jsonb IS DISTINCT FROM ev.payload THEN
            problem := 'payload mismatch: the stored payload differs from the hashed text';
        ELSIF dutydesk.event_hash(ev.prev_hash, dutydesk.canonical_json(pg_catalog.jsonb_build_object(
                  'actor', ev.actor, 'actor_role', ev.actor_role, 'client_time', ev.client_time,
                  'device', ev.device, 'id', ev.id::text,
                  'payload', ev.payload_text::jsonb, 'schema_version', ev.schema_version,
                  'server_seq', ev.seq, 'server_time', ev.server_time, 'type', ev.type)))
              IS DISTINCT FROM ev.hash THEN
            problem := 'hash mismatch: the content does not give the stored hash (edited)';
        ELSIF ev.submitted_by IS DISTINCT FROM ev.actor THEN
            problem := 'submitted_by differs from the actor (changed after it was stored)';
        ELSE
            SELECT coalesce(pg_catalog.array_agg(DISTINCT x::uuid ORDER BY x::uuid), '{}')
              INTO derived FROM (
                SELECT ev.payload->>'person_id' AS x
                UNION ALL
                SELECT ch->>'person_id' FROM pg_catalog.jsonb_array_elements(
                    CASE WHEN pg_catalog.jsonb_typeof(ev.payload->'children') = 'array'
                         THEN ev.payload->'children' ELSE '[]'::jsonb END) AS ch
            ) AS p WHERE x ~ uuid_re;
            IF derived IS DISTINCT FROM (SELECT coalesce(pg_catalog.array_agg(DISTINCT u ORDER BY u),
                                                         '{}') FROM pg_catalog.unnest(ev.person_ids) AS u) THEN
                problem := 'person ids differ from those the hashed payload names';
            ELSIF ev.contact_id IS DISTINCT FROM (CASE WHEN (ev.payload->>'contact_id') ~ uuid_re
                                                  THEN (ev.payload->>'contact_id')::uuid END) THEN
                problem := 'contact id differs from the one the hashed payload names';
            END IF;
        END IF;
        IF problem IS NOT NULL THEN
            last_seq := next_seq - 1;
            RETURN NEXT;
            RETURN;
        END IF;
        expected_prev := ev.hash;
        next_seq := ev.seq + 1;
        checked := checked + 1;
    END LOOP;
    last_seq := next_seq - 1;
    bad_seq := NULL;
    IF checked < p_limit THEN  -- the end of the log: the counter must agree with it
        SELECT * INTO head FROM dutydesk.counter;
        IF head.last_seq <> last_seq OR head.last_hash IS DISTINCT FROM expected_prev THEN
            bad_seq := last_seq + 1;
            problem := pg_catalog.format('the counter says the log ends at sequence %s but '
                                         'the events end at %s (cut off or rewritten)',
                                         head.last_seq, last_seq);
        ELSIF EXISTS (SELECT 1 FROM dutydesk.events e WHERE e.type = 'record.restricted'
                        AND NOT EXISTS (SELECT 1 FROM dutydesk.restrictions r
                                         WHERE r.person_id = (e.payload->>'person_id')::uuid)) THEN
            bad_seq := 0;
            problem := 'a restriction recorded in the log is missing from the restrictions table';
        END IF;
    END IF;
    RETURN NEXT;
END $$;

-- ---- row-level security: the new read check ------------------------------------------------

DROP POLICY read_visible ON dutydesk.events;
CREATE POLICY read_visible ON dutydesk.events FOR SELECT
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin
    USING (dutydesk.may_read(seq));
DROP FUNCTION dutydesk.may_see(uuid[], uuid);

-- ---- side tables rebuilt from the hashed log -----------------------------------------------
-- (0001 kept break-glass for ever in `allowed` and never removed a link.)

DELETE FROM dutydesk.contact_people;
DELETE FROM dutydesk.restrictions;
DO $$
DECLARE
    ev record;
BEGIN
    FOR ev IN SELECT e.type, e.payload, e.contact_id, e.person_ids, e.actor, e.server_time
                FROM dutydesk.events e
               WHERE e.type IN ('contact.received', 'person.linked', 'person.unlinked',
                                'record.restricted', 'access.granted', 'access.break_glass')
               ORDER BY e.seq LOOP
        PERFORM dutydesk.apply_side_tables(ev.type, ev.payload, ev.contact_id, ev.person_ids,
                                           ev.actor, ev.server_time::timestamptz);
    END LOOP;
END $$;

-- ---- privileges: nothing by default, EXECUTE only on what clients call -------------------

ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON SEQUENCES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE USAGE ON TYPES FROM PUBLIC;
REVOKE ALL ON SCHEMA dutydesk FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA dutydesk FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dutydesk FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dutydesk
    FROM contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
GRANT EXECUTE ON FUNCTION dutydesk.submit(jsonb), dutydesk.server_state(),
    dutydesk.hash_at(bigint), dutydesk.may_read(bigint)
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
GRANT EXECUTE ON FUNCTION dutydesk.chain_check(bigint, integer) TO duty_manager, auditor, admin;
