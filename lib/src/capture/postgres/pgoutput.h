// PgOutputDecoder: turns the messages of PostgreSQL's pgoutput plugin
// (protocol version 1) into transactions of typed changes for the pipeline.
//
// Begin opens a transaction, Relation describes a table (sent again after
// ALTER TABLE), Insert/Update/Delete/Truncate are changes, Commit closes the
// transaction. The primary key comes from pg_index through `key_lookup`,
// since under REPLICA IDENTITY FULL the Relation message flags every column.
// Values keep the server's text exactly (see values.h).
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_PGOUTPUT_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_PGOUTPUT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "capture/pipeline.h"
#include "capture/postgres/lsn.h"
#include "capture/postgres/wire.h"

namespace meowmx::internal {

class PgOutputDecoder {
 public:
  // The primary key columns of a table (by oid) in key order; empty for none.
  using KeyLookup = std::function<std::vector<std::string>(std::uint32_t oid)>;

  PgOutputDecoder(Pipeline& pipeline, KeyLookup key_lookup);

  // Handles one pgoutput message. Returns the commit's end LSN when the
  // message ended a transaction (handed to the pipeline by then). Throws
  // Error on a malformed message or a followed table without a primary key.
  std::optional<Lsn> handle(std::string_view message);

  bool in_transaction() const noexcept { return in_transaction_; }

 private:
  struct Column {
    std::string name;
    std::uint32_t type = 0;
    bool identity = false;  // part of the replica identity
  };
  struct Relation {
    const CapturedTable* table = nullptr;  // nullptr: not captured
    Interest interest = Interest::kNone;
    std::string shown;  // schema.name, for messages
    std::vector<Column> columns;
    std::vector<std::size_t> key;  // primary key columns as indexes into `columns`
  };
  struct Cell {
    char kind = 'n';  // 'n' null, 'u' unchanged TOAST, 't' text
    std::string_view text;
  };
  using Tuple = std::vector<Cell>;

  void on_begin(wire::Reader& in);
  std::optional<Lsn> on_commit(wire::Reader& in);
  void on_relation(wire::Reader& in);
  void on_insert(wire::Reader& in);
  void on_update(wire::Reader& in);
  void on_delete(wire::Reader& in);
  void on_truncate(wire::Reader& in);

  const Relation& relation(std::uint32_t oid) const;
  void read_tuple(wire::Reader& in, const Relation& relation, Tuple& tuple) const;
  std::vector<Value> key_of(const Relation& relation, const Tuple& tuple) const;
  // The row; `identity_only` keeps the replica identity columns (what a 'K'
  // tuple carries). Unchanged TOAST columns are left out and named in
  // `unchanged_toast` when given.
  Row row_of(const Relation& relation, const Tuple& tuple, bool identity_only,
             std::vector<std::string>* unchanged_toast) const;
  // A change of the open transaction, taking the next index.
  ChangeEvent event_for(const Relation& relation, ChangeAction action);

  Pipeline& pipeline_;
  KeyLookup key_lookup_;
  std::unordered_map<std::uint32_t, Relation> relations_;

  bool in_transaction_ = false;
  std::int64_t index_ = 0;  // of the next change within the transaction

  Tuple old_tuple_;  // reused to keep allocations off the hot path
  Tuple new_tuple_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_PGOUTPUT_H_
