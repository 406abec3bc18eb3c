-- The trigger source's server side: statement triggers on each captured
-- table that NOTIFY channel meowmx_pub with the keys each statement changed.
-- The pub installs (and replaces) them at each start; `meowmx pub
-- --uninstall` removes them. Not a migration: the event store needs none of it.
--
-- A statement's changes go out in as few notifications as NOTIFY's
-- 8000-byte payload limit allows, in order, each for one table:
--   {"xid":734,"relid":16390,"index":12,"actions":"wwu","keys":["1","2",["a","7"]]}
-- xid: pg_current_xact_id(); relid: the table's oid; index: the place of the
-- first change in its transaction (a transaction-local counter, which also
-- keeps NOTIFY from folding equal payloads into one); actions: one letter per
-- key, w(rite) u(pdate) d(elete) t(runcate); keys: a key as the JSON string
-- of its value's text, a composite key as an array of them, a truncate as [].
-- A key whose JSON takes over 1000 bytes is null there and comes just before,
-- in notifications of its own: its JSON text in pieces of 1500 characters,
--   {"xid":734,"relid":16390,"index":13,"piece":0,"of":3,"text":"[\"aaa..."}
--
-- Key values are the columns' text (their types' output functions) under the
-- same settings as the logical decoding source's connection, so numeric 1.50
-- stays "1.50" and a timestamptz reads "2024-01-01 12:00:00+00" whichever
-- source saw it. The key columns are looked up at each call, so a changed
-- primary key never fails the writing statement. jit is off because these
-- short queries never earn back its compile time; work_mem keeps a bulk
-- statement's sort of its keys in memory.
CREATE SCHEMA IF NOT EXISTS meowmx;

CREATE OR REPLACE FUNCTION meowmx.pub_capture() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone = 'UTC' SET DateStyle = 'ISO' SET IntervalStyle = 'postgres' SET extra_float_digits = 1
SET jit = off SET work_mem = '64MB'
AS $fn$
DECLARE
  first_index bigint := coalesce(nullif(current_setting('meowmx.pub_index', true), ''), '0')::bigint;
  changed bigint := 0;
  xid text := pg_current_xact_id()::text;
  key_json text;  -- SQL: the key of row r as one JSON value
  changes text;   -- SQL: the statement's changes (n from 1 in order, action, element)
  chunk record;
  long_n bigint[];
  long_elements text[];
  pieces int;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    changes := $q$SELECT 1::bigint AS n, 't'::text AS action, '[]'::text AS element$q$;
  ELSE
    SELECT CASE WHEN count(*) = 1 THEN format('to_json(r.%I::text)::text', min(a.attname))
           ELSE $q$'[' || $q$ || string_agg(format('to_json(r.%I::text)::text', a.attname), $q$ || ',' || $q$
                                            ORDER BY k.n) || $q$ || ']'$q$ END
      INTO key_json
      FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, n), pg_attribute a
     WHERE i.indrelid = TG_RELID AND i.indisprimary AND a.attrelid = i.indrelid AND a.attnum = k.attnum;
    IF key_json IS NULL THEN
      RAISE WARNING 'meowmx: %.% has no primary key any more, so its changes are not captured',
        TG_TABLE_SCHEMA, TG_TABLE_NAME;
      RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
      changes := format($q$SELECT row_number() OVER () AS n, 'w' AS action, %s AS element
                           FROM meowmx_new_rows r$q$, key_json);
    ELSIF TG_OP = 'DELETE' THEN
      changes := format($q$SELECT row_number() OVER () AS n, 'd' AS action, %s AS element
                           FROM meowmx_old_rows r$q$, key_json);
    ELSE
      -- Old and new rows are not paired: a key only among the old rows was
      -- deleted, one only among the new rows written (so a changed key is a
      -- delete and a write, as logical decoding reports it), one in both
      -- updated. Deletes first, then the new rows in the statement's order.
      changes := format($q$
        WITH o AS MATERIALIZED (SELECT row_number() OVER () AS n, %1$s AS element FROM meowmx_old_rows r),
             k AS MATERIALIZED (SELECT row_number() OVER () AS n, %1$s AS element FROM meowmx_new_rows r),
             gone AS MATERIALIZED (SELECT row_number() OVER (ORDER BY n) AS n, element FROM o
                                    WHERE NOT EXISTS (SELECT FROM k WHERE k.element = o.element))
        SELECT n, 'd' AS action, element FROM gone
        UNION ALL
        SELECT (SELECT count(*) FROM gone) + k.n, CASE WHEN kept.element IS NULL THEN 'w' ELSE 'u' END,
               k.element
          FROM k LEFT JOIN (SELECT DISTINCT element FROM o) kept ON kept.element = k.element$q$, key_json);
    END IF;
  END IF;

  -- An entry costs its bytes plus a comma and a letter; chunk g takes the
  -- entries whose running cost falls in [g*6897, (g+1)*6897), under 6897
  -- plus the widest entry (1002): with at most 100 bytes around them every
  -- payload stays below 8000 bytes.
  FOR chunk IN EXECUTE format($q$
    SELECT min(n) AS first, max(n) AS last, bool_or(entry = 'null') AS has_long,
           string_agg(action, '' ORDER BY n) AS actions, string_agg(entry, ',' ORDER BY n) AS keys
      FROM (SELECT n, action, entry, sum(octet_length(entry) + 2) OVER (ORDER BY n ROWS UNBOUNDED PRECEDING) AS upto
              FROM (SELECT n, action, CASE WHEN octet_length(element) <= 1000 THEN element ELSE 'null' END AS entry
                      FROM (%s) c) e) m
     GROUP BY upto / 6897 ORDER BY upto / 6897$q$, changes)
  LOOP
    IF chunk.has_long THEN
      IF long_n IS NULL THEN
        EXECUTE format($q$SELECT array_agg(n ORDER BY n), array_agg(element ORDER BY n)
                            FROM (%s) c WHERE octet_length(element) > 1000$q$, changes)
          INTO long_n, long_elements;
      END IF;
      FOR i IN 1 .. cardinality(long_n) LOOP
        CONTINUE WHEN long_n[i] NOT BETWEEN chunk.first AND chunk.last;
        pieces := (char_length(long_elements[i]) + 1499) / 1500;
        FOR piece IN 0 .. pieces - 1 LOOP
          PERFORM pg_notify('meowmx_pub', format('{"xid":%s,"relid":%s,"index":%s,"piece":%s,"of":%s,"text":%s}',
                                                 xid, TG_RELID, first_index + long_n[i] - 1, piece, pieces,
                                                 to_json(substr(long_elements[i], piece * 1500 + 1, 1500))));
        END LOOP;
      END LOOP;
    END IF;
    PERFORM pg_notify('meowmx_pub', format('{"xid":%s,"relid":%s,"index":%s,"actions":"%s","keys":[%s]}',
                                           xid, TG_RELID, first_index + chunk.first - 1, chunk.actions,
                                           chunk.keys));
    changed := chunk.last;
  END LOOP;
  PERFORM set_config('meowmx.pub_index', (first_index + changed)::text, true);
  RETURN NULL;
END
$fn$;
