-- Run once by the postgres image when its volume is new (docker-entrypoint-initdb.d).
-- A role for change capture: it may open replication connections, read the
-- tables it captures and own the publication meowmx pub creates.
CREATE ROLE meowmx_replication WITH LOGIN REPLICATION PASSWORD 'meowmx';
GRANT CREATE ON DATABASE postgres TO meowmx_replication;
GRANT pg_read_all_data, pg_read_all_stats TO meowmx_replication;
