-- Subscriptions: one checkpoint row per (subscription, consumer-group member).
-- A worker locks its row FOR UPDATE SKIP LOCKED for the length of one batch,
-- so a second worker of the same member stands by instead of double-delivering.
CREATE TABLE meowmx.subscriptions (
  name text NOT NULL,
  group_member integer NOT NULL DEFAULT 0,
  group_size integer NOT NULL DEFAULT 1 CHECK (group_size >= 1),
  categories text[] NOT NULL DEFAULT '{}',  -- aggregate types; empty means all
  last_tx_id xid8 NOT NULL DEFAULT '0',
  last_id bigint NOT NULL DEFAULT 0,
  delivered bigint NOT NULL DEFAULT 0,      -- events handled since creation or reset
  worker text,                              -- host/pid of the last worker that committed
  worker_backend_pid integer,               -- its PostgreSQL session, to tell if it is alive
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, group_member),
  CHECK (group_member >= 0 AND group_member < group_size)
);

-- Events a handler kept failing on, parked when the subscription is set to
-- move on (the default is to stop instead).
CREATE TABLE meowmx.dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription text NOT NULL,
  group_member integer NOT NULL,
  event_global_id bigint NOT NULL,
  event_tx_id xid8 NOT NULL,
  attempts integer NOT NULL,
  error text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_subscription ON meowmx.dead_letters (subscription, id);

-- One wake-up per writing transaction: a statement trigger, and NOTIFY folds
-- identical notifications of one transaction into one. A session that sets
-- meowmx.notify = off (ClientOptions::notify) skips it.
CREATE FUNCTION meowmx.notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('meowmx.notify', true), '') <> 'off' THEN
    PERFORM pg_notify('meowmx_events', '');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON meowmx.events
  FOR EACH STATEMENT EXECUTE FUNCTION meowmx.notify_events();

-- The aggregate-id hash that splits a subscription over a consumer group.
CREATE FUNCTION meowmx.group_member_of(aggregate_id text, group_size integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ((hashtext(aggregate_id)::bigint & 2147483647) % group_size)::integer
$$;

-- Per subscription member: where it is, how far behind, who works it.
CREATE VIEW meowmx.subscription_status AS
SELECT s.name, s.group_member, s.group_size, s.categories,
       s.last_tx_id::text || ':' || s.last_id AS checkpoint,
       s.delivered,
       pending.events_behind,
       coalesce(extract(epoch FROM now() - pending.oldest_created_at), 0)::double precision
         AS seconds_behind,
       pending.held_back,
       s.worker,
       EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.worker_backend_pid) AS worker_alive,
       s.updated_at
FROM meowmx.subscriptions s
CROSS JOIN LATERAL (
  SELECT count(*) AS events_behind, min(e.created_at) AS oldest_created_at,
         count(*) FILTER (WHERE e.tx_id >= pg_snapshot_xmin(pg_current_snapshot())) AS held_back
  FROM meowmx.events e
  WHERE (e.tx_id, e.id) > (s.last_tx_id, s.last_id)
    AND (cardinality(s.categories) = 0 OR e.aggregate_type = ANY (s.categories))
    AND (s.group_size = 1
         OR meowmx.group_member_of(e.aggregate_id::text, s.group_size) = s.group_member)
) pending;

-- The transactions that hold the xmin horizon back, oldest first: while one
-- of them runs, subscriptions cannot deliver events committed after it began.
CREATE VIEW meowmx.xmin_horizon AS
SELECT a.pid, a.backend_xid::text AS xid, now() - a.xact_start AS age, a.state,
       a.application_name, left(a.query, 200) AS query, false AS prepared
FROM pg_stat_activity a
WHERE a.backend_xid IS NOT NULL
UNION ALL
SELECT NULL, p.transaction::text, now() - p.prepared, 'prepared', p.owner, p.gid, true
FROM pg_prepared_xacts p
ORDER BY age DESC;

CREATE VIEW meowmx.dead_letter_events AS
SELECT d.id, d.subscription, d.group_member, d.attempts, d.error, d.failed_at,
       e.aggregate_type, e.aggregate_id::text AS aggregate_id, e.version, e.event_type, e.json,
       d.event_tx_id::text || ':' || d.event_global_id AS position
FROM meowmx.dead_letters d
LEFT JOIN meowmx.events e ON e.id = d.event_global_id;
