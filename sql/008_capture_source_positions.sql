-- Where a change-capture source without a server-side slot (the MySQL
-- binlog source) keeps its stream's position: the last transaction every
-- sink has, under the stream's name. Kept as text, exactly as written.
CREATE TABLE meowmx.capture_source_positions (
  stream text PRIMARY KEY,
  position text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
