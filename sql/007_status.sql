-- Status at a bounded cost, and what it needs to be read safely.

-- A statement's text with its literals (strings, dollar-quoted bodies,
-- numbers) replaced by ?, so a password or a customer's data in a running
-- statement never shows in status output. Unterminated literals (a statement
-- cut short) are masked to the end; a quote in a quoted identifier masks
-- more than needed, never less.
CREATE FUNCTION meowmx.mask_literals(query text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT regexp_replace(
           regexp_replace(
             regexp_replace(
               regexp_replace(query, '\$([[:alpha:]_]?[[:alnum:]_]*?)\$.*?\$\1\$', '?', 'g'),
               '\$([[:alpha:]_][[:alnum:]_]*)?\$.*$', '?'),
             '([EeBbXxNn]|[Uu]&)?''(''''|\\.|[^''\\])*(''|$)', '?', 'g'),
           '(?<![$[:alnum:]_.])[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?', '?', 'g')
$fn$;

-- A subscription member's events after its checkpoint (deliverable or not
-- yet), in no order. Plain SQL, so the planner inlines it: a LIMIT on it
-- stops its scan early.
CREATE FUNCTION meowmx.events_after_checkpoint(s meowmx.subscriptions)
RETURNS SETOF meowmx.events LANGUAGE sql STABLE AS $fn$
  SELECT e.* FROM meowmx.events e
  WHERE (e.tx_id, e.id) > (s.last_tx_id, s.last_id)
    AND (cardinality(s.categories) = 0 OR e.aggregate_type = ANY (s.categories))
    AND (s.group_size = 1 OR meowmx.group_member_of(e.aggregate_id::text, s.group_size) = s.group_member)
$fn$;

-- Per subscription member: where it is, how far behind, who works it. Events
-- behind (and held back) are counted exactly up to 10,000 (events_behind_exact,
-- held_back_exact); beyond that events_behind is an estimate from global ids
-- (those handed out after the checkpoint, per group member, whatever their
-- category), so the view costs a few index probes per member however long
-- the backlog. seconds_behind is the age of the next event to deliver. A
-- `--from now` checkpoint (tx_id - 1, the largest id) shows as the
-- equivalent position tx_id:0.
DROP VIEW meowmx.subscription_status;
CREATE VIEW meowmx.subscription_status AS
SELECT s.name, s.group_member, s.group_size, s.categories,
       CASE WHEN s.last_id = 9223372036854775807
            THEN (s.last_tx_id::text::numeric + 1)::text || ':0'
            ELSE s.last_tx_id::text || ':' || s.last_id END AS checkpoint,
       s.delivered,
       CASE WHEN pending.counted <= 10000 THEN pending.counted
            ELSE greatest(pending.counted, ((SELECT max(id) FROM meowmx.events) - s.last_id) / s.group_size)
       END AS events_behind,
       pending.counted <= 10000 AS events_behind_exact,
       coalesce(extract(epoch FROM now() - next_event.created_at), 0)::double precision AS seconds_behind,
       held.counted AS held_back,
       held.counted <= 10000 AS held_back_exact,
       (SELECT count(*) FROM meowmx.dead_letters d
        WHERE d.subscription = s.name AND d.group_member = s.group_member) AS dead_letters,
       s.worker,
       EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.worker_backend_pid) AS worker_alive,
       s.updated_at
FROM meowmx.subscriptions s
CROSS JOIN LATERAL (
  SELECT count(*) AS counted FROM (SELECT 1 FROM meowmx.events_after_checkpoint(s) LIMIT 10001) bounded
) pending
CROSS JOIN LATERAL (
  SELECT count(*) AS counted FROM (
    SELECT 1 FROM meowmx.events_after_checkpoint(s) e
    WHERE e.tx_id >= pg_snapshot_xmin(pg_current_snapshot())
    LIMIT 10001) bounded
) held
LEFT JOIN LATERAL (
  SELECT e.created_at FROM meowmx.events_after_checkpoint(s) e ORDER BY e.tx_id, e.id LIMIT 1
) next_event ON true;

-- The transactions that hold the xmin horizon back, oldest first, in any
-- database of the server: while one of them runs, subscriptions cannot deliver
-- events committed after it began. The statement is shown with its literals
-- masked; a role needs pg_read_all_stats to see other roles' sessions.
DROP VIEW meowmx.xmin_horizon;
CREATE VIEW meowmx.xmin_horizon AS
SELECT a.pid, a.backend_xid::text AS xid, now() - a.xact_start AS age, a.state,
       a.datname::text AS database, a.usename::text AS user_name,
       a.application_name, left(meowmx.mask_literals(a.query), 200) AS query, false AS prepared
FROM pg_stat_activity a
WHERE a.backend_xid IS NOT NULL
UNION ALL
SELECT NULL, p.transaction::text, now() - p.prepared, 'prepared', p.database::text, p.owner::text,
       NULL, p.gid, true
FROM pg_prepared_xacts p
ORDER BY age DESC;
