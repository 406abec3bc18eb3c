-- The event store. {{AGGREGATE_ID_TYPE}} is replaced by uuid, text or bigint,
-- chosen once at the first set-up; the domain keeps every query type-agnostic.
CREATE DOMAIN meowmx.aggregate_id AS {{AGGREGATE_ID_TYPE}};

-- One row per aggregate: its version is the number of events it holds. Saves
-- lock and advance this row, which serialises concurrent appends to one
-- aggregate and lets the version check and the insert be one statement.
CREATE TABLE meowmx.aggregates (
  aggregate_type text NOT NULL,
  aggregate_id meowmx.aggregate_id NOT NULL,
  version bigint NOT NULL CHECK (version >= 0),
  PRIMARY KEY (aggregate_type, aggregate_id)
);

CREATE TABLE meowmx.events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The writing transaction: readers only take rows whose tx_id is below the
  -- xmin of their snapshot, and order by (tx_id, id), so nothing is skipped.
  tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  aggregate_type text NOT NULL,
  aggregate_id meowmx.aggregate_id NOT NULL,
  version bigint NOT NULL CHECK (version >= 0),
  event_type text NOT NULL,
  json jsonb NOT NULL,
  metadata jsonb,
  event_id uuid UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (aggregate_type, aggregate_id, version)
);

-- Reading the global log, and one category of it, in (tx_id, id) order.
CREATE INDEX events_tx_id_id ON meowmx.events (tx_id, id);
CREATE INDEX events_type_tx_id_id ON meowmx.events (aggregate_type, tx_id, id);
