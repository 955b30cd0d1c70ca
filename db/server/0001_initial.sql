-- DutyDesk shared database, migration 0001: the event log, permissions, submit and RLS.
--
-- Applied by `dutydesk server init` / `upgrade` as the NOLOGIN owner role `dutydesk_owner`
-- (the runner does SET ROLE), inside one transaction. Group roles already exist (the runner
-- creates them before the first migration). Clients never own, never bypass RLS, and never
-- write a table: every write goes through dutydesk.submit (SECURITY DEFINER).

CREATE TABLE dutydesk.server_info (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch       uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO dutydesk.server_info DEFAULT VALUES;

-- The one counter row. submit() locks it FOR UPDATE until commit, so sequence numbers are
-- handed out in commit order: a reader that has seen N can never later find N-1.
CREATE TABLE dutydesk.counter (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq    bigint NOT NULL DEFAULT 0,
    last_hash   text NOT NULL DEFAULT repeat('0', 64)
);
INSERT INTO dutydesk.counter DEFAULT VALUES;

CREATE TABLE dutydesk.events (
    seq             bigint PRIMARY KEY,
    id              uuid NOT NULL UNIQUE,
    type            text NOT NULL,
    schema_version  integer NOT NULL,
    actor           text NOT NULL,
    actor_role      text NOT NULL,
    device          text NOT NULL,
    client_time     text NOT NULL,
    payload         jsonb NOT NULL,
    payload_text    text NOT NULL,           -- the canonical text that was hashed
    contact_id      uuid,
    person_ids      uuid[] NOT NULL DEFAULT '{}',
    server_time     text NOT NULL,
    hash            text NOT NULL,
    prev_hash       text NOT NULL,
    submitted_by    text NOT NULL DEFAULT session_user
);
CREATE INDEX events_contact ON dutydesk.events (contact_id);

-- Role -> event types it may record (written from dutydesk/domain/permissions.py).
CREATE TABLE dutydesk.event_permissions (
    role        text NOT NULL,
    event_type  text NOT NULL,
    PRIMARY KEY (role, event_type)
);

-- A restricted child: only the logins or group roles in `allowed` (and admins) see events
-- about them. Maintained by submit from record.restricted / access.granted / break-glass.
CREATE TABLE dutydesk.restrictions (
    person_id   uuid PRIMARY KEY,
    allowed     text[] NOT NULL
);

-- Which people each contact is about, so a contact's rating or decision events (which
-- name no person) are hidden with the child.
CREATE TABLE dutydesk.contact_people (
    contact_id  uuid NOT NULL,
    person_id   uuid NOT NULL,
    PRIMARY KEY (contact_id, person_id)
);
CREATE INDEX contact_people_person ON dutydesk.contact_people (person_id);

-- Rows are written by `dutydesk server init|upgrade` from the one permission table in
-- dutydesk/domain/permissions.py (via event_permissions.ALLOWED), never by hand here.

-- ---- canonical JSON and the hash (same definition as dutydesk/domain/hashchain.py) ----

CREATE FUNCTION dutydesk.canonical_json(v jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog AS $$
DECLARE
    kind text := jsonb_typeof(v);
    out text;
BEGIN
    IF kind = 'object' THEN
        -- COLLATE "C" compares UTF-8 bytes, which is Unicode code point order, as Python.
        SELECT '{' || coalesce(string_agg(to_jsonb(e.key)::text || ':'
                   || dutydesk.canonical_json(e.value), ',' ORDER BY e.key COLLATE "C"), '')
                   || '}'
          INTO out FROM jsonb_each(v) AS e;
        RETURN out;
    ELSIF kind = 'array' THEN
        SELECT '[' || coalesce(string_agg(dutydesk.canonical_json(a.value), ','
                   ORDER BY a.ord), '') || ']'
          INTO out FROM jsonb_array_elements(v) WITH ORDINALITY AS a(value, ord);
        RETURN out;
    END IF;
    RETURN v::text;  -- strings are escaped exactly as Python's json (ensure_ascii=False)
END $$;

CREATE FUNCTION dutydesk.event_hash(prev_hash text, content text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog AS $$
    SELECT encode(sha256(convert_to(prev_hash || content, 'UTF8')), 'hex')
$$;

-- ---- visibility (row-level security) ---------------------------------------------------

-- True when the session's login may see an event about these people / this contact.
CREATE FUNCTION dutydesk.may_see(p_people uuid[], p_contact uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk AS $$
DECLARE
    who text := session_user;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dutydesk.restrictions) THEN
        RETURN true;  -- the common case, one cheap probe
    END IF;
    IF pg_has_role(who, 'admin', 'MEMBER') THEN
        RETURN true;
    END IF;
    RETURN NOT EXISTS (
        SELECT 1 FROM dutydesk.restrictions r
         WHERE (r.person_id = ANY (p_people)
                OR r.person_id IN (SELECT cp.person_id FROM dutydesk.contact_people cp
                                    WHERE cp.contact_id = p_contact))
           AND NOT EXISTS (SELECT 1 FROM unnest(r.allowed) AS a(name)
                            WHERE a.name = who
                               OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a.name)
                                   AND pg_has_role(who, a.name, 'MEMBER'))));
END $$;

ALTER TABLE dutydesk.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.events FORCE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.restrictions ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.restrictions FORCE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.contact_people ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.contact_people FORCE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.counter ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.counter FORCE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.server_info ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.server_info FORCE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.event_permissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.event_permissions FORCE ROW LEVEL SECURITY;

-- The owner (only ever acting through the SECURITY DEFINER functions) sees everything.
CREATE POLICY owner_all ON dutydesk.events TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON dutydesk.restrictions TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON dutydesk.contact_people TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON dutydesk.counter TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON dutydesk.server_info TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON dutydesk.event_permissions TO dutydesk_owner USING (true) WITH CHECK (true);

-- Clients read events, filtered; they read the permission table (to explain refusals).
CREATE POLICY read_visible ON dutydesk.events FOR SELECT
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin
    USING (dutydesk.may_see(person_ids, contact_id));
CREATE POLICY read_all ON dutydesk.event_permissions FOR SELECT
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin
    USING (true);

-- ---- submit ------------------------------------------------------------------------------

-- Accept a batch of events (a JSON array). Each element: id, type, schema_version, actor,
-- actor_role, device, client_time, payload_text (canonical JSON text). One result row per
-- element: status 'accepted' | 'duplicate' | 'rejected', with the stored sequence, time and
-- hash for the first two and the reason for the last. A rejection never aborts the batch.
CREATE FUNCTION dutydesk.submit(p_events jsonb)
RETURNS TABLE (id uuid, status text, seq bigint, server_time text, hash text,
               prev_hash text, reason text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk AS $$
#variable_conflict use_column
DECLARE
    who text := session_user;
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
    v_hash text;
    v_why text;
    v_added integer := 0;
BEGIN
    IF jsonb_typeof(p_events) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'submit expects a JSON array of events' USING ERRCODE = '22023';
    END IF;
    -- Held until commit: sequence order is commit order (DESIGN.md pitfall).
    SELECT * INTO c FROM dutydesk.counter WHERE singleton FOR UPDATE;
    v_time := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

    FOR e IN SELECT value FROM jsonb_array_elements(p_events) LOOP
        v_why := NULL;
        v_id := NULL;
        IF jsonb_typeof(e) IS DISTINCT FROM 'object'
           OR (e->>'id') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            id := NULL; status := 'rejected'; seq := NULL; server_time := NULL;
            hash := NULL; prev_hash := NULL; reason := 'event has no valid id';
            RETURN NEXT;
            CONTINUE;
        END IF;
        v_id := (e->>'id')::uuid;
        v_type := e->>'type';
        v_role := e->>'actor_role';
        v_text := e->>'payload_text';
        -- Text that is not JSON fails the whole call (a desk then sends events one by one);
        -- no per-event exception block: 10,000 subtransactions would slow every reader.
        v_payload := v_text::jsonb;

        SELECT * INTO stored FROM dutydesk.events ev WHERE ev.id = v_id;
        IF FOUND THEN
            IF stored.type = v_type AND stored.schema_version::text = e->>'schema_version'
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

        IF v_payload IS NULL OR jsonb_typeof(v_payload) <> 'object' THEN
            v_why := 'the payload is not a JSON object';
        ELSIF dutydesk.canonical_json(v_payload) <> v_text THEN
            v_why := 'the payload is not in canonical form';
        ELSIF coalesce(e->>'schema_version', '') <> '1' THEN
            v_why := format('schema version %s is not supported by this server',
                            coalesce(e->>'schema_version', '(none)'));
        ELSIF NOT EXISTS (SELECT 1 FROM dutydesk.event_permissions p WHERE p.event_type = v_type) THEN
            v_why := format('unknown event type %s', coalesce(v_type, '(none)'));
        ELSIF e->>'actor' IS DISTINCT FROM who THEN
            v_why := format('the event names actor %s but was sent by login %s',
                            coalesce(e->>'actor', '(none)'), who);
        ELSIF v_role IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role)
              OR NOT pg_has_role(who, v_role, 'MEMBER') THEN
            v_why := format('login %s is not a member of the %s role', who,
                            coalesce(v_role, '(none)'));
        ELSIF NOT EXISTS (SELECT 1 FROM dutydesk.event_permissions p
                           WHERE p.event_type = v_type AND p.role = v_role) THEN
            v_why := format('the %s role may not record %s', v_role, v_type);
        ELSIF v_type = 'contact.rating_overridden' AND v_payload->>'from_rating' = 'red'
              AND v_payload->>'to_rating' IS DISTINCT FROM 'red'
              AND v_role NOT IN ('duty_manager', 'senior_practitioner') THEN
            v_why := 'only a duty manager or senior practitioner may lower a Red rating';
        ELSIF coalesce(e->>'device', '') = '' OR coalesce(e->>'client_time', '') = '' THEN
            v_why := 'the event has no device or client time';
        END IF;
        IF v_why IS NOT NULL THEN
            id := v_id; status := 'rejected'; seq := NULL; server_time := NULL;
            hash := NULL; prev_hash := NULL; reason := v_why;
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- The people this event is about: payload.person_id and children[].person_id, as
        -- dutydesk.domain.events.Event.person_ids.
        SELECT coalesce(array_agg(DISTINCT x::uuid), '{}') INTO v_people FROM (
            SELECT v_payload->>'person_id' AS x
            UNION ALL
            SELECT ch->>'person_id' FROM jsonb_array_elements(
                CASE WHEN jsonb_typeof(v_payload->'children') = 'array'
                     THEN v_payload->'children' ELSE '[]'::jsonb END) AS ch
        ) AS p WHERE x ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
        v_contact := CASE WHEN (v_payload->>'contact_id')
                                ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                          THEN (v_payload->>'contact_id')::uuid END;

        c.last_seq := c.last_seq + 1;
        v_hash := dutydesk.event_hash(c.last_hash, dutydesk.canonical_json(jsonb_build_object(
            'actor', e->>'actor', 'actor_role', v_role, 'client_time', e->>'client_time',
            'device', e->>'device', 'id', v_id::text, 'payload', v_payload,
            'schema_version', 1, 'server_seq', c.last_seq, 'server_time', v_time,
            'type', v_type)));
        INSERT INTO dutydesk.events (seq, id, type, schema_version, actor, actor_role, device,
                                     client_time, payload, payload_text, contact_id,
                                     person_ids, server_time, hash, prev_hash)
        VALUES (c.last_seq, v_id, v_type, 1, e->>'actor', v_role, e->>'device',
                e->>'client_time', v_payload, v_text, v_contact, v_people, v_time, v_hash,
                c.last_hash);
        id := v_id; status := 'accepted'; seq := c.last_seq; server_time := v_time;
        hash := v_hash; prev_hash := c.last_hash; reason := NULL;
        c.last_hash := v_hash;
        v_added := v_added + 1;
        RETURN NEXT;

        -- Side tables that row-level security reads.
        IF v_contact IS NOT NULL AND cardinality(v_people) > 0
           AND v_type IN ('contact.received', 'person.linked') THEN
            INSERT INTO dutydesk.contact_people (contact_id, person_id)
            SELECT v_contact, p FROM unnest(v_people) AS p ON CONFLICT DO NOTHING;
        END IF;
        IF v_type = 'record.restricted' THEN
            INSERT INTO dutydesk.restrictions AS r (person_id, allowed)
            VALUES ((v_payload->>'person_id')::uuid,
                    ARRAY(SELECT jsonb_array_elements_text(v_payload->'allowed')))
            ON CONFLICT (person_id) DO UPDATE SET allowed = EXCLUDED.allowed;
        ELSIF v_type IN ('access.granted', 'access.break_glass') THEN
            UPDATE dutydesk.restrictions r
               SET allowed = array_append(r.allowed,
                       CASE WHEN v_type = 'access.granted' THEN v_payload->>'grantee' ELSE who END)
             WHERE r.person_id = (v_payload->>'person_id')::uuid;
        END IF;
    END LOOP;

    IF v_added > 0 THEN
        UPDATE dutydesk.counter SET last_seq = c.last_seq, last_hash = c.last_hash
         WHERE singleton;
        PERFORM pg_notify('dutydesk_events', '');  -- a poke only: RLS cannot filter NOTIFY
    END IF;
END $$;

-- What a desk checks on connect: which server (epoch), which schema, how far the log goes.
CREATE FUNCTION dutydesk.server_state()
RETURNS TABLE (epoch uuid, schema_version integer, head_seq bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk AS $$
    SELECT i.epoch, (SELECT max(m.version) FROM dutydesk.schema_migrations m), c.last_seq
      FROM dutydesk.server_info i, dutydesk.counter c
$$;

-- The hash at a sequence number (hashes reveal nothing about the event), for the desk's
-- sanity check that its copy still follows the server's log.
CREATE FUNCTION dutydesk.hash_at(p_seq bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk AS $$
    SELECT e.hash FROM dutydesk.events e WHERE e.seq = p_seq
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA dutydesk FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dutydesk FROM PUBLIC;
GRANT USAGE ON SCHEMA dutydesk
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
GRANT SELECT ON dutydesk.events, dutydesk.event_permissions
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
GRANT EXECUTE ON FUNCTION dutydesk.submit(jsonb), dutydesk.server_state(),
    dutydesk.hash_at(bigint), dutydesk.may_see(uuid[], uuid), dutydesk.canonical_json(jsonb),
    dutydesk.event_hash(text, text)
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
