-- DutyDesk shared database, migration 0005: desks alert the administrator to quarantined
-- events (issue 12: "a desk that pulls an event it cannot apply ... alerts an admin").
--
-- A desk that puts a pulled event in its quarantine reports its sequence number here,
-- again every round until it is recorded (idempotent). Only the sequence number travels:
-- the event type is looked up by the server, the login is the session's, and nothing from
-- the payload or the desk's error text (which may quote it) is sent. Administrators list
-- the alerts with `dutydesk server alerts` (and see the count in `server status`); an admin
-- login may read them through `dutydesk.quarantine_alerts()`.

CREATE TABLE dutydesk.desk_alerts (
    login        text NOT NULL,
    seq          bigint NOT NULL,
    event_type   text NOT NULL,
    reported_at  timestamptz NOT NULL,
    PRIMARY KEY (login, seq)
);

ALTER TABLE dutydesk.desk_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE dutydesk.desk_alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON dutydesk.desk_alerts TO dutydesk_owner USING (true) WITH CHECK (true);
REVOKE ALL ON dutydesk.desk_alerts FROM PUBLIC;

-- Record that the calling login's desk quarantined the events at these sequence numbers.
-- Only events this login may read count (a desk only ever pulls those), at most 1000 a
-- call; returns how many alerts are new.
CREATE FUNCTION dutydesk.report_quarantine(p_seqs bigint[]) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
DECLARE
    added integer;
BEGIN
    IF p_seqs IS NULL OR pg_catalog.cardinality(p_seqs) > 1000 THEN
        RAISE EXCEPTION 'report at most 1000 sequence numbers at a time' USING ERRCODE = '22023';
    END IF;
    INSERT INTO dutydesk.desk_alerts AS a (login, seq, event_type, reported_at)
    SELECT session_user, e.seq, e.type, pg_catalog.clock_timestamp()
      FROM dutydesk.events e
     WHERE e.seq = ANY (p_seqs) AND dutydesk.may_read(e.seq)
    ON CONFLICT (login, seq) DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END $$;

-- Every alert, newest first, for administrators only.
CREATE FUNCTION dutydesk.quarantine_alerts()
RETURNS TABLE (login text, seq bigint, event_type text, reported_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'admin', 'MEMBER') THEN
        RAISE EXCEPTION 'only an administrator may read the desks'' alerts'
            USING ERRCODE = '42501';
    END IF;
    RETURN QUERY SELECT a.login, a.seq, a.event_type, a.reported_at
                   FROM dutydesk.desk_alerts a ORDER BY a.reported_at DESC, a.seq DESC;
END $$;

REVOKE ALL ON FUNCTION dutydesk.report_quarantine(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dutydesk.quarantine_alerts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.report_quarantine(bigint[])
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
GRANT EXECUTE ON FUNCTION dutydesk.quarantine_alerts() TO admin;
