-- DutyDesk shared database, migration 0017: a decision event naming a decision that is not
-- its contact's is refused at submit (the desks' fold already ignores it).
--
-- The model (docs/sync.md, "A decision belongs to one contact"; dutydesk/domain/projection.py):
-- a decision belongs to the contact whose `decision.recorded` or `decision.proposed` names
-- its id first in the log's order. On every desk, a later recording or proposal of that id
-- (under any contact) changes nothing, and a sign-off, amendment or return naming it under
-- another contact changes nothing. Until now the server checked only a decision event's
-- shape, so a login that may record decisions (a crafted or faulty desk) could put such an
-- event into the shared log: inert on desks with the fix, but a permanent entry in the
-- record, and folded (stealing or changing the other contact's decision) by desks from
-- before the fix.
--
-- `dutydesk.decision_contact(id)` gives the contact of the first recording or proposal of a
-- decision id in server order (NULL: none stored), by the partial index below: one index
-- look-up per partition, never a read of the log. `dutydesk.check_payload` (compiled by
-- `dutydesk server init|upgrade`, dutydesk/sync/pg/rules_sql.py SERVER_CHECKS, from the
-- domain's lists of which types record a decision and which act on their own contact's
-- decision only) calls it after the payload's shape is checked, and refuses:
--   * a recording or proposal of an id already recorded or proposed (under any contact);
--   * a sign-off, amendment or return whose decision was first recorded under another
--     contact;
--   * a conflict resolution every one of whose listed decisions was first recorded under
--     another contact (one that lists a decision of its own contact is folded, so taken).
-- Not refused, because the fold takes them or cannot be told apart from a legitimate event
-- still on its way: a reference to an id not recorded yet (after a restore desks re-send
-- their own events in any order between desks); a resolution listing some decisions of its
-- own contact (the others are ignored by every desk).
--
-- The reason names the event's own field and id, never the contact that holds the decision
-- (which may be a restricted record the sender cannot read). The ids are client-made random
-- UUIDs: "already recorded" tells a login nothing it could not know from the event it read.
--
-- Events of this kind already in a server's log stay (the log is the record, hashes chain
-- over them); every desk with the fold of 4adba0b/9ea5db9 ignores them, and a desk folded
-- before that refolds the contacts they name once (dutydesk/store/fold_fixes.py). Nothing
-- here reads or changes stored events, so this upgrade cannot fail on them.
--
-- Not SECURITY DEFINER: it runs inside `submit` (the owner's) and nobody else may call it.
-- Sequential scans off, as submit (0014): a plan kept from an empty server stays a look-up.
-- The recordings of the id are found first and only then put in order (the OFFSET 0 keeps
-- the planner from merging the two): written as one `ORDER BY seq LIMIT 1`, the plan
-- inside submit walked the year's partition by its primary key, in sequence order,
-- filtering every row for the id (its estimate: ~120 rows match, so the first comes
-- soon; there is one or none), 43 ms per decision event at 52,000 events, growing with
-- the log (tests/integration/sync/test_decision_ownership_server.py counts the rows read).

CREATE INDEX events_decision_recorded ON dutydesk.events ((payload ->> 'decision_id'), seq)
    WHERE type IN ('decision.recorded', 'decision.proposed');

CREATE FUNCTION dutydesk.decision_contact(p_decision_id text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, dutydesk, pg_temp
SET enable_seqscan = off
SET jit = off AS $$
BEGIN
    RETURN (SELECT r.contact_id
              FROM (SELECT e.payload ->> 'contact_id' AS contact_id, e.seq
                      FROM dutydesk.events e
                     WHERE e.type IN ('decision.recorded', 'decision.proposed')
                       AND (e.payload ->> 'decision_id') = p_decision_id
                    OFFSET 0) AS r
             ORDER BY r.seq
             LIMIT 1);
END $$;

-- Whether every decision id in the JSON array `p_ids` was first recorded under a contact
-- other than `p_contact`: false at the first that is its own or not recorded (a resolution
-- that lists its own decisions first, as desks write it, costs one look-up).
CREATE FUNCTION dutydesk.decisions_all_elsewhere(p_contact text, p_ids jsonb) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, dutydesk, pg_temp
SET enable_seqscan = off
SET jit = off AS $$
BEGIN
    RETURN NOT EXISTS (
        SELECT 1
          FROM pg_catalog.jsonb_array_elements_text(p_ids) AS d(id)
          LEFT JOIN LATERAL (
                SELECT r.contact_id
                  FROM (SELECT e.payload ->> 'contact_id' AS contact_id, e.seq
                          FROM dutydesk.events e
                         WHERE e.type IN ('decision.recorded', 'decision.proposed')
                           AND (e.payload ->> 'decision_id') = d.id
                        OFFSET 0) AS r
                 ORDER BY r.seq
                 LIMIT 1) AS o ON true
         WHERE o.contact_id IS NULL OR o.contact_id = p_contact);
END $$;

REVOKE ALL ON FUNCTION dutydesk.decision_contact(text),
    dutydesk.decisions_all_elsewhere(text, jsonb) FROM PUBLIC;
