-- Consumer groups read only their own rows: each event stores its member
-- hash (meowmx.group_member_of's before the modulo, the hash the wake-up
-- NOTIFY names), and the first worker of a group of size N builds the index
-- meowmx.events_member_of_N on (member_hash % N, tx_id, id), which walks one
-- member in log order (see docs/subscriptions.md).
--
-- Numbered 006, free in the sequence when it was written: set-up applies the
-- migrations a database lacks in number order, so a new database gets it
-- before 007 and one set up earlier gets it on its next set-up. Adding a
-- stored column rewrites meowmx.events once, under an exclusive lock (saves
-- and reads wait for the rewrite).
ALTER TABLE meowmx.events ADD COLUMN member_hash integer NOT NULL
  GENERATED ALWAYS AS ((hashtext(aggregate_id::text)::bigint & 2147483647)::integer) STORED;
