-- Views for looking at the store with psql.

-- The newest events first, with their payload size.
CREATE VIEW meowmx.recent_events AS
SELECT id, tx_id, aggregate_type, aggregate_id::text AS aggregate_id, version, event_type,
       json, metadata, event_id, created_at, pg_column_size(json) AS json_bytes
FROM meowmx.events
ORDER BY id DESC
LIMIT 100;

-- Per aggregate type: how many aggregates and events, and the latest write.
CREATE VIEW meowmx.categories AS
SELECT aggregate_type, count(DISTINCT aggregate_id) AS aggregates, count(*) AS events,
       max(created_at) AS last_event_at
FROM meowmx.events
GROUP BY aggregate_type;
