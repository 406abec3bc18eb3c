// Catalog: what change capture asks PostgreSQL on an ordinary connection:
// whether logical decoding is on, which tables exist with which primary key,
// where the WAL is, which stream this is. Errors come out as meowmx errors
// without the password.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_CATALOG_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_CATALOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>

#include "capture/postgres/lsn.h"
#include "meowmx/capture/table.h"
#include "pg/session.h"

namespace meowmx::internal {

// A captured table with what the PostgreSQL sources need to know of it.
struct PgTable {
  CapturedTable table;                   // name, stem and key columns
  std::uint32_t oid = 0;
  std::vector<std::uint32_t> key_types;  // type oids of the key columns, in key order
};

class Catalog {
 public:
  // Throws ConnectionError when the server cannot be reached.
  explicit Catalog(const std::string& dsn);

  // Throws Error unless wal_level is logical.
  void require_logical_decoding();

  // Each table must exist and have a primary key (InvalidArgument otherwise).
  // For logical decoding its replica identity must also carry the key, or a
  // delete could not say which row went.
  std::vector<PgTable> resolve(const std::vector<TableName>& tables, bool for_logical_decoding);

  // The table's primary key columns in key order, read afresh (the key may
  // have changed since the last look); empty when it has none.
  std::vector<std::string> primary_key(std::uint32_t oid);

  // "<system identifier>/<database>": names the server and database in stream ids.
  std::string database_id();

  // The end of the WAL as of now: everything committed so far lies before
  // it. Also commits a tiny transaction synchronously, so the WAL up to there
  // is flushed (readable by a walsender) and followed by a record: a stream
  // is bound to pass this point, even when the server is otherwise idle.
  Lsn mark_wal_end();

  pqxx::connection& connection() { return session_.connection(); }

  // Runs fn, turning libpqxx exceptions into meowmx errors prefixed with `context`.
  template <typename Fn>
  auto guarded(std::string_view context, Fn&& fn) {
    return session_.guarded(context, std::forward<Fn>(fn));
  }

 private:
  Session session_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_CATALOG_H_
