-- Change capture into the event log. The log sink records, in the same
-- transaction as the events it appends, the position of the last source
-- transaction it stored: after any crash it resumes right after it, so each
-- captured change is in the log exactly once. A change the log cannot take
-- (a key over 1,024 bytes, a row over the payload limit) is parked with
-- everything needed to look at it, and the stream goes on.
CREATE TABLE meowmx.capture_positions (
  stream text PRIMARY KEY,
  position jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meowmx.capture_dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream text NOT NULL,
  position jsonb NOT NULL,
  table_name text NOT NULL,
  key text NOT NULL,
  reason text NOT NULL,
  -- The whole change as the raw JSON form, kept as text: exactly as captured.
  change text NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX capture_dead_letters_stream ON meowmx.capture_dead_letters (stream, id);
