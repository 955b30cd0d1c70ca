-- DutyDesk shared database, migration 0014: submit and the read policy find rows by index
-- whatever the table held when their plans were made (issue 12, the validation benchmark).
--
-- plpgsql keeps each statement's plan for the rest of the session once it has run five
-- times. A login's first submit on a nearly empty server planned "the event with this id"
-- as a read of the whole partition (cheapest on a few rows) and kept that plan: from then
-- on every event that session submitted read every row stored since, so submit's cost grew
-- with the log (0.35 -> 1.1 ms server CPU per contact over 5,000 events, both with and
-- without the payload checks; an ANALYZE only helped by throwing the plans away). The read
-- policy `may_read` (run for every row a login reads once any record is restricted) had the
-- same fault for its look-up by sequence number.
--
-- Every table these functions read by key has an index for it, so they now plan without
-- sequential scans: a kept plan is an index look-up, made on an empty table or a full one
-- (a table with no usable index is still read whole; for the one-row tables that costs
-- nothing). The setting holds only while these functions run. Anyone redefining them must
-- keep it (CREATE OR REPLACE drops it): tests/integration/sync/test_submit_plans.py.

ALTER FUNCTION dutydesk.submit(jsonb) SET enable_seqscan = off;
ALTER FUNCTION dutydesk.may_read(bigint) SET enable_seqscan = off;
