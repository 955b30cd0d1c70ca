-- DutyDesk shared database, migration 0012: the event table partitioned by server time, one
-- partition per calendar year (issue 19, a county's scale; docs/scale.md "Partitioning").
--
-- Applied by `dutydesk server upgrade` to a filled server, in one transaction: the old
-- table steps aside, a partitioned `dutydesk.events` with the same columns in the same
-- order is made, every row is copied as it is (sequence number, id, hash, prev_hash,
-- payload text, server time: nothing is recomputed or re-sequenced), the copy is checked
-- against the old table and the counter, and only then is the old table dropped. Desks
-- cannot read or submit while it runs (the old table is locked); nothing else changes for
-- them: same name, same columns, same row-level security, same functions.
--
-- The partition key is `server_time`, the text `submit` writes with to_char as
-- YYYY-MM-DDTHH24:MI:SS.USZ (UTC): in the "C" collation that text sorts as the time does,
-- so year bounds are plain strings ('2026' <= t < '2027'). A CHECK keeps every row in that
-- form. The column's collation becomes "C" (PostgreSQL wants a unique index's collation to
-- equal the partition key's); nothing compares server_time with another column.
--
-- Uniqueness. PostgreSQL requires the partition key in every unique index of a partitioned
-- table, so `PRIMARY KEY (seq)` and `UNIQUE (id)` can only be (seq, server_time) there:
-- unique per partition, not across the log. The global guarantee moves to
-- `dutydesk.event_keys` (seq PRIMARY KEY, id UNIQUE), not partitioned, kept by triggers
-- on the events (insert, delete, change of key, truncate): a second row with a used sequence number or id, in any
-- partition, fails the insert and with it the whole submit. `submit` still hands out
-- numbers under the counter lock and chains each hash to the one before; this table is the
-- database's own check that it did.
--
-- Future years. `dutydesk.add_event_partitions(years_ahead)` makes the partitions from the
-- current year to `years_ahead` years on (idempotent); `dutydesk server upgrade` calls it
-- with 1 every time it runs (admin.py). `dutydesk.events_default` catches any row whose
-- year has no partition yet, so a submit never fails for that; when that year's partition
-- is made later, the function moves the rows out of the default partition first.

-- ---- the old table steps aside -------------------------------------------------------------

LOCK TABLE dutydesk.counter, dutydesk.events IN ACCESS EXCLUSIVE MODE;
ALTER TABLE dutydesk.events RENAME TO events_unpartitioned;
ALTER INDEX dutydesk.events_pkey RENAME TO events_unpartitioned_pkey;
ALTER INDEX dutydesk.events_id_key RENAME TO events_unpartitioned_id_key;
ALTER INDEX dutydesk.events_contact RENAME TO events_unpartitioned_contact;

-- ---- the partitioned table (columns as 0001, in the same order: %ROWTYPE users) ----------

CREATE TABLE dutydesk.events (
    seq             bigint NOT NULL,
    id              uuid NOT NULL,
    type            text NOT NULL,
    schema_version  integer NOT NULL,
    actor           text NOT NULL,
    actor_role      text NOT NULL,
    device          text NOT NULL,
    client_time     text NOT NULL,
    payload         jsonb NOT NULL,
    payload_text    text NOT NULL,
    contact_id      uuid,
    person_ids      uuid[] NOT NULL DEFAULT '{}',
    server_time     text COLLATE "C" NOT NULL
                    CHECK (server_time ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'),
    hash            text NOT NULL,
    prev_hash       text NOT NULL,
    submitted_by    text NOT NULL DEFAULT session_user,
    PRIMARY KEY (seq, server_time)
) PARTITION BY RANGE (server_time);

CREATE TABLE dutydesk.events_default PARTITION OF dutydesk.events DEFAULT;

-- Every sequence number and every id once in the whole log, whichever partition holds it.
CREATE TABLE dutydesk.event_keys (
    seq          bigint PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    server_time  text COLLATE "C" NOT NULL
);

-- Only the owner (through submit and this migration) touches the event tables; a client
-- reads `dutydesk.events` through its policies and nothing else.
ALTER TABLE dutydesk.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.events FORCE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.event_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.event_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON dutydesk.events TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON dutydesk.event_keys TO dutydesk_owner USING (true) WITH CHECK (true);
CREATE POLICY read_visible ON dutydesk.events FOR SELECT
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin
    USING (dutydesk.may_read(seq));
REVOKE ALL ON dutydesk.events, dutydesk.events_default, dutydesk.event_keys FROM PUBLIC;
GRANT SELECT ON dutydesk.events
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;

-- A partition read directly (not through dutydesk.events) is nobody's: row-level security
-- on with no policy but the owner's, and no grant. Queries through the parent use the
-- parent's policies.
CREATE FUNCTION dutydesk.seal_event_partition(p_table regclass) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE pg_catalog.format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE pg_catalog.format('CREATE POLICY owner_all ON %s TO dutydesk_owner '
                              'USING (true) WITH CHECK (true)', p_table);
    EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', p_table);
END $$;
SELECT dutydesk.seal_event_partition('dutydesk.events_default');

-- The partition for one calendar year (UTC), made if missing; rows of that year already in
-- the default partition are moved into it first (so attaching cannot fail on them).
-- Returns the partition's name when it made one, NULL when it existed.
CREATE FUNCTION dutydesk.add_event_partition(p_year integer) RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    part text := pg_catalog.format('events_%s', p_year);
    lo text := pg_catalog.lpad(p_year::text, 4, '0');
    hi text := pg_catalog.lpad((p_year + 1)::text, 4, '0');
BEGIN
    IF p_year IS NULL OR p_year < 1 OR p_year > 9998 THEN
        RAISE EXCEPTION 'no partition for year %', p_year USING ERRCODE = '22023';
    END IF;
    IF pg_catalog.to_regclass('dutydesk.' || part) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format(
        'CREATE TABLE dutydesk.%I (LIKE dutydesk.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
        part);
    EXECUTE pg_catalog.format(
        'INSERT INTO dutydesk.%I SELECT * FROM dutydesk.events_default '
        'WHERE server_time >= %L AND server_time < %L', part, lo, hi);
    DELETE FROM dutydesk.events_default d WHERE d.server_time >= lo AND d.server_time < hi;
    EXECUTE pg_catalog.format(
        'ALTER TABLE dutydesk.events ATTACH PARTITION dutydesk.%I FOR VALUES FROM (%L) TO (%L)',
        part, lo, hi);
    -- The delete above took the moved rows' keys away (the key trigger); put them back.
    EXECUTE pg_catalog.format(
        'INSERT INTO dutydesk.event_keys (seq, id, server_time) '
        'SELECT seq, id, server_time FROM dutydesk.%I', part);
    PERFORM dutydesk.seal_event_partition(('dutydesk.' || part)::regclass);
    RETURN part;
END $$;

-- The partitions from this year (UTC) to p_years_ahead years on; names of those made.
CREATE FUNCTION dutydesk.add_event_partitions(p_years_ahead integer) RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    this_year integer := pg_catalog.date_part('year', pg_catalog.clock_timestamp() AT TIME ZONE 'UTC')::integer;
    made text;
BEGIN
    IF p_years_ahead IS NULL OR p_years_ahead < 0 OR p_years_ahead > 10 THEN
        RAISE EXCEPTION 'years ahead must be 0 to 10, not %', p_years_ahead USING ERRCODE = '22023';
    END IF;
    FOR y IN this_year .. this_year + p_years_ahead LOOP
        made := dutydesk.add_event_partition(y);
        IF made IS NOT NULL THEN
            RETURN NEXT made;
        END IF;
    END LOOP;
END $$;

-- Keep `event_keys` equal to the keys of the rows present (see "Uniqueness" above): an
-- insert adds its keys (failing on a used one), a delete removes them, a change of seq, id
-- or server time moves them. Only the owner or a superuser can delete or change an event;
-- this table guards the log against a second use of a number or id, not against them
-- (signed checkpoints and desks' witnessed heads do that, migrations 0003 and 0008).
CREATE FUNCTION dutydesk.record_event_key() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE dutydesk.event_keys;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM dutydesk.event_keys k WHERE k.seq = OLD.seq;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO dutydesk.event_keys (seq, id, server_time)
        VALUES (NEW.seq, NEW.id, NEW.server_time);
    END IF;
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION dutydesk.seal_event_partition(regclass), dutydesk.add_event_partition(integer),
    dutydesk.add_event_partitions(integer), dutydesk.record_event_key() FROM PUBLIC;

-- ---- copy, check, drop ---------------------------------------------------------------------

-- A partition for every year the log has, and this year and the next.
SELECT dutydesk.add_event_partition(y::integer)
  FROM (SELECT DISTINCT pg_catalog.substr(u.server_time, 1, 4) AS y
          FROM dutydesk.events_unpartitioned u) AS years
 WHERE y ~ '^[0-9]{4}$';
SELECT dutydesk.add_event_partitions(1);

INSERT INTO dutydesk.events (seq, id, type, schema_version, actor, actor_role, device,
                             client_time, payload, payload_text, contact_id, person_ids,
                             server_time, hash, prev_hash, submitted_by)
SELECT seq, id, type, schema_version, actor, actor_role, device, client_time, payload,
       payload_text, contact_id, person_ids, server_time, hash, prev_hash, submitted_by
  FROM dutydesk.events_unpartitioned ORDER BY seq;
INSERT INTO dutydesk.event_keys (seq, id, server_time)
SELECT seq, id, server_time FROM dutydesk.events_unpartitioned;

DO $$
DECLARE
    before_n bigint;
    after_n bigint;
    head dutydesk.counter%ROWTYPE;
    last_hash text;
BEGIN
    SELECT count(*) INTO before_n FROM dutydesk.events_unpartitioned;
    SELECT count(*) INTO after_n FROM dutydesk.events;
    SELECT * INTO head FROM dutydesk.counter;
    SELECT e.hash INTO last_hash FROM dutydesk.events e WHERE e.seq = head.last_seq;
    IF before_n <> after_n OR (head.last_seq > 0 AND last_hash IS DISTINCT FROM head.last_hash)
       OR EXISTS (SELECT 1 FROM dutydesk.events_unpartitioned u
                   LEFT JOIN dutydesk.events e ON e.seq = u.seq AND e.server_time = u.server_time
                  WHERE e.seq IS NULL OR e.id <> u.id OR e.hash <> u.hash
                     OR e.prev_hash <> u.prev_hash OR e.payload_text <> u.payload_text) THEN
        RAISE EXCEPTION 'partitioning the events did not copy them exactly (% before, % after)',
            before_n, after_n;
    END IF;
END $$;

DROP TABLE dutydesk.events_unpartitioned;

CREATE INDEX events_id ON dutydesk.events (id);
CREATE INDEX events_contact ON dutydesk.events (contact_id);
CREATE TRIGGER events_record_key AFTER INSERT OR DELETE OR UPDATE OF seq, id, server_time
    ON dutydesk.events FOR EACH ROW EXECUTE FUNCTION dutydesk.record_event_key();
CREATE TRIGGER events_truncate_keys AFTER TRUNCATE ON dutydesk.events
    FOR EACH STATEMENT EXECUTE FUNCTION dutydesk.record_event_key();
ANALYZE dutydesk.events;
ANALYZE dutydesk.event_keys;
