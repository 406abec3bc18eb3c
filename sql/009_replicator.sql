-- The replicator's parked pks: a pk whose action failed on every attempt is
-- kept here (for the durable inputs, in their own database) with its last
-- error, never dropped silently. Replaying one is handling its row again.
CREATE TABLE meowmx.replicator_parked (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  input text NOT NULL,     -- the input it came from: "postgres slot orders_repl", "subscription orders"
  topic text NOT NULL,     -- as registered, e.g. "orders_*"
  event text NOT NULL,     -- its latest change's event name, "orders_update"
  pk text NOT NULL,        -- meowmx's pk text
  position text NOT NULL,  -- its latest change's place as the input gives it; '' for none
  attempts integer NOT NULL,
  error text NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replicator_parked_input ON meowmx.replicator_parked (input, id);
