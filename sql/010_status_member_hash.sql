-- Status reads each member's backlog through the index its worker reads:
-- a consumer-group member by its stored member hash (the partial index
-- meowmx.events_member_<member>_of_<size> of 006, once a worker built it),
-- a subscription of some categories by (aggregate_type, tx_id, id). 007's
-- events_after_checkpoint() filtered by meowmx.group_member_of(), hashing
-- every row after the checkpoint, through a condition no index matches.

-- One member's backlog after its checkpoint: the events counted up to 10,001
-- (all of them, and those of transactions the horizon still holds back) and
-- the creation time of the next one to deliver. Each count walks one index
-- range per category from the checkpoint on and stops at its limit, however
-- long the backlog:
-- - every category: the (tx_id, id) index, or a consumer-group member's own
--   partial index (the statement names the member as literals, so the
--   planner matches it);
-- - some categories: the (aggregate_type, tx_id, id) index;
-- - some categories in a consumer group: the member's index, whose first
--   10,001 rows are counted by category. When the member has that many
--   events of any category pending, the count says 10,001 (not exact), and
--   the next event is the first of them in the categories, else the last.
-- STABLE: it reads with the snapshot of the statement that reads the view.
CREATE FUNCTION meowmx.member_backlog(s meowmx.subscriptions,
                                      OUT counted bigint, OUT held_counted bigint, OUT next_created_at timestamptz)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  of_member text := CASE WHEN s.group_size = 1 THEN ''
                         ELSE format(' AND e.member_hash %% %s = %s', s.group_size, s.group_member) END;
  -- Events held back are those after the checkpoint whose tx_id is not below
  -- the horizon: one position ($4, $5) to start the range at, as a second
  -- bound on tx_id would not narrow the index range.
  horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  held_after_tx_id xid8 := greatest(s.last_tx_id, horizon);
  held_after_id bigint := CASE WHEN s.last_tx_id >= horizon THEN s.last_id ELSE -9223372036854775808 END;
BEGIN
  IF cardinality(s.categories) = 0 THEN
    EXECUTE 'SELECT (SELECT count(*) FROM (SELECT 1 FROM meowmx.events e WHERE (e.tx_id, e.id) > ($1, $2)'
            || of_member || ' ORDER BY e.tx_id, e.id LIMIT 10001) r),'
            || ' (SELECT count(*) FROM (SELECT 1 FROM meowmx.events e WHERE (e.tx_id, e.id) > ($4, $5)'
            || of_member || ' ORDER BY e.tx_id, e.id LIMIT 10001) r),'
            || ' (SELECT e.created_at FROM meowmx.events e WHERE (e.tx_id, e.id) > ($1, $2)'
            || of_member || ' ORDER BY e.tx_id, e.id LIMIT 1)'
      INTO counted, held_counted, next_created_at
      USING s.last_tx_id, s.last_id, s.categories, held_after_tx_id, held_after_id;
  ELSIF s.group_size = 1 THEN
    SELECT sum(k.counted)::bigint, sum(k.held_counted)::bigint,
           (array_agg(f.created_at ORDER BY f.tx_id, f.id) FILTER (WHERE f.tx_id IS NOT NULL))[1]
      INTO counted, held_counted, next_created_at
      FROM unnest(s.categories) c(category)
      CROSS JOIN LATERAL (
        SELECT (SELECT count(*) FROM (SELECT 1 FROM meowmx.events e WHERE e.aggregate_type = c.category
                  AND (e.tx_id, e.id) > (s.last_tx_id, s.last_id) ORDER BY e.tx_id, e.id LIMIT 10001) r) AS counted,
               (SELECT count(*) FROM (SELECT 1 FROM meowmx.events e WHERE e.aggregate_type = c.category
                  AND (e.tx_id, e.id) > (held_after_tx_id, held_after_id) ORDER BY e.tx_id, e.id LIMIT 10001) r)
                 AS held_counted) k
      LEFT JOIN LATERAL (
        SELECT e.tx_id, e.id, e.created_at FROM meowmx.events e WHERE e.aggregate_type = c.category
          AND (e.tx_id, e.id) > (s.last_tx_id, s.last_id) ORDER BY e.tx_id, e.id LIMIT 1) f ON true;
  ELSE
    EXECUTE 'WITH walked AS MATERIALIZED (SELECT e.tx_id, e.id, e.created_at, e.aggregate_type = ANY ($3) AS wanted'
            || ' FROM meowmx.events e WHERE (e.tx_id, e.id) > ($1, $2)' || of_member
            || ' ORDER BY e.tx_id, e.id LIMIT 10001)'
            || ' SELECT CASE WHEN count(*) > 10000 THEN 10001 ELSE count(*) FILTER (WHERE wanted) END,'
            || ' (SELECT CASE WHEN count(*) > 10000 THEN 10001 ELSE count(*) FILTER (WHERE wanted) END FROM ('
            || 'SELECT e.aggregate_type = ANY ($3) AS wanted FROM meowmx.events e WHERE (e.tx_id, e.id) > ($4, $5)'
            || of_member || ' ORDER BY e.tx_id, e.id LIMIT 10001) r),'
            || ' coalesce((array_agg(created_at ORDER BY tx_id, id) FILTER (WHERE wanted))[1],'
            || ' CASE WHEN count(*) > 10000 THEN (array_agg(created_at ORDER BY tx_id DESC, id DESC))[1] END)'
            || ' FROM walked'
      INTO counted, held_counted, next_created_at
      USING s.last_tx_id, s.last_id, s.categories, held_after_tx_id, held_after_id;
  END IF;
END
$fn$;

-- The columns and meanings of 007's view; only how the backlog is read changed.
DROP VIEW meowmx.subscription_status;
CREATE VIEW meowmx.subscription_status AS
SELECT s.name, s.group_member, s.group_size, s.categories,
       CASE WHEN s.last_id = 9223372036854775807
            THEN (s.last_tx_id::text::numeric + 1)::text || ':0'
            ELSE s.last_tx_id::text || ':' || s.last_id END AS checkpoint,
       s.delivered,
       CASE WHEN backlog.counted <= 10000 THEN backlog.counted
            ELSE greatest(backlog.counted, ((SELECT max(id) FROM meowmx.events) - s.last_id) / s.group_size)
       END AS events_behind,
       backlog.counted <= 10000 AS events_behind_exact,
       coalesce(extract(epoch FROM now() - backlog.next_created_at), 0)::double precision AS seconds_behind,
       backlog.held_counted AS held_back,
       backlog.held_counted <= 10000 AS held_back_exact,
       (SELECT count(*) FROM meowmx.dead_letters d
        WHERE d.subscription = s.name AND d.group_member = s.group_member) AS dead_letters,
       s.worker,
       EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.worker_backend_pid) AS worker_alive,
       s.updated_at
FROM meowmx.subscriptions s
CROSS JOIN LATERAL meowmx.member_backlog(s) backlog;

DROP FUNCTION meowmx.events_after_checkpoint(meowmx.subscriptions);
