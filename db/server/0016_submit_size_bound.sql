-- DutyDesk shared database, migration 0016: a submit's size is bounded before it locks the
-- counter row (review rev3).
--
-- submit takes the counter row FOR UPDATE, then canonicalises and checks every event of the
-- call while holding it. A login may switch its own statement_timeout off (docs/sync.md), so
-- one call of ~20 MB (measured: 400 KB of payload values, ~0.6 s under the lock) held the
-- row for longer than every other submit waits (5 s, idle holders ended, 20 s more), and
-- back to back stopped every other desk's writes; end_idle_lock_holders ends only idle
-- sessions, and this one is busy. Now a call of more than 2,000 events (a desk sends 500)
-- or 4 MB is refused whole before the lock (SQLSTATE 54000): a desk's transport takes that
-- as a refused batch and sends its events one by one.
--
-- The body is 0002's, unchanged but for that check. CREATE OR REPLACE keeps the grants and
-- drops the settings attached since (0014 enable_seqscan, 0015 jit): both are given again
-- here (tests/integration/sync/test_submit_plans.py).

CREATE OR REPLACE FUNCTION dutydesk.submit(p_events jsonb)
RETURNS TABLE (id uuid, status text, seq bigint, server_time text, hash text,
               prev_hash text, reason text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp
SET enable_seqscan = off
SET jit = off AS $$
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
    -- Before the counter row is locked (migration 0016): a call's size bounds how long it
    -- can hold it.
    IF pg_catalog.jsonb_array_length(p_events) > 2000
       OR pg_catalog.pg_column_size(p_events) > 4194304 THEN
        RAISE EXCEPTION 'a submit takes at most 2,000 events and 4 MB; send fewer at a time'
            USING ERRCODE = '54000';
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
