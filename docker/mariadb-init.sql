-- Run once by the mariadb image when its volume is new (docker-entrypoint-initdb.d).
-- A user for reading the row binlog as a replica does.
CREATE USER 'meowmx_replication'@'%' IDENTIFIED BY 'meowmx';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR, SELECT ON *.* TO 'meowmx_replication'@'%';
