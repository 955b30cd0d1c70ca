-- DutyDesk shared database, migration 0015: a desk-to-desk hand-over without JIT compiling
-- and without a separate state check (issue 19, desk-to-desk latency).
--
-- 1. No JIT inside submit and the read policy. Migration 0014 makes these functions plan
--    without sequential scans. A one-row table read without a WHERE (the policy row, in
--    both) still plans as a sequential scan, now costed at PostgreSQL's "disabled" ten
--    billion, far over jit_above_cost (100,000): so every call compiled that statement with
--    LLVM, inlining and optimising, and threw the code away. That was 6.5 ms of server CPU
--    per submit call, whatever it carried (an empty batch included), and, once any record
--    is restricted, per row a login reads (may_read runs for each one). Their statements
--    are look-ups of a row or a few: JIT never pays there. The setting holds only while
--    these functions run; anyone redefining them must keep it with enable_seqscan
--    (CREATE OR REPLACE drops both): tests/integration/sync/test_submit_plans.py.
--
-- 2. `submit_at`: submit, refused whole unless the server is still the one the desk last
--    checked: the same epoch, schema version and rules digest, and a head not behind the
--    desk's cursor. A desk's fast path after a local write asked for the state (one round
--    trip), compared it, then sent the submit (a second). Now the server compares, in the
--    submit's own transaction, before anything is stored; a mismatch raises SQLSTATE DD001
--    and stores nothing, and the desk hands over to a full round, as it did. It is
--    `submit` itself that stores: every check of submit holds, and nothing can be stored
--    through submit_at that submit would refuse. The plain submit stays.

ALTER FUNCTION dutydesk.submit(jsonb) SET jit = off;
ALTER FUNCTION dutydesk.may_read(bigint) SET jit = off;

CREATE FUNCTION dutydesk.submit_at(p_epoch uuid, p_schema integer, p_rules_digest text,
                                   p_head bigint, p_events jsonb)
RETURNS TABLE (id uuid, status text, seq bigint, server_time text, hash text,
               prev_hash text, reason text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, dutydesk, pg_temp
SET jit = off AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dutydesk.server_state() AS s
                    WHERE s.epoch = p_epoch AND s.schema_version = p_schema
                      AND s.head_seq >= p_head)
       OR dutydesk.rules_digest() IS DISTINCT FROM p_rules_digest THEN
        RAISE EXCEPTION 'the server changed since this desk last checked it (epoch, schema, '
                        'rules or head); nothing was stored' USING ERRCODE = 'DD001';
    END IF;
    RETURN QUERY SELECT * FROM dutydesk.submit(p_events);
END $$;

REVOKE ALL ON FUNCTION dutydesk.submit_at(uuid, integer, text, bigint, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dutydesk.submit_at(uuid, integer, text, bigint, jsonb)
    TO contact_officer, practitioner, senior_practitioner, duty_manager, auditor, admin;
