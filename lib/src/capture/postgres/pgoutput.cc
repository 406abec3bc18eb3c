#include "capture/postgres/pgoutput.h"

#include "capture/postgres/values.h"
#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx::internal {

PgOutputDecoder::PgOutputDecoder(Pipeline& pipeline, KeyLookup key_lookup)
    : pipeline_(pipeline), key_lookup_(std::move(key_lookup)) {}

std::optional<Lsn> PgOutputDecoder::handle(std::string_view message) {
  wire::Reader in(message);
  switch (in.u8()) {
    case 'B':
      on_begin(in);
      return std::nullopt;
    case 'C':
      return on_commit(in);
    case 'R':
      on_relation(in);
      return std::nullopt;
    case 'I':
      on_insert(in);
      return std::nullopt;
    case 'U':
      on_update(in);
      return std::nullopt;
    case 'D':
      on_delete(in);
      return std::nullopt;
    case 'T':
      on_truncate(in);
      return std::nullopt;
    default:
      // Type ('Y') and Origin ('O') messages carry nothing changes need.
      return std::nullopt;
  }
}

void PgOutputDecoder::on_begin(wire::Reader& in) {
  const Lsn commit_lsn = in.u64();
  const std::string commit_time = wire::postgres_time_iso(in.i64());
  const std::uint32_t xid = in.u32();
  index_ = 0;
  in_transaction_ = true;
  pipeline_.begin(LsnPosition{commit_lsn, 0}, xid, commit_time);
}

std::optional<Lsn> PgOutputDecoder::on_commit(wire::Reader& in) {
  in.u8();  // flags, unused
  const Lsn commit_lsn = in.u64();
  const Lsn end_lsn = in.u64();
  // The end LSN is the resume point: acknowledging it makes the server skip
  // this transaction next time, and nothing after it.
  in_transaction_ = false;
  pipeline_.commit(LsnPosition{commit_lsn, end_lsn});
  return end_lsn;
}

void PgOutputDecoder::on_relation(wire::Reader& in) {
  const std::uint32_t oid = in.u32();
  const std::string_view schema = in.cstring();
  const std::string_view name = in.cstring();
  in.u8();  // replica identity setting; the key comes from pg_index instead
  Relation relation;
  relation.table = pipeline_.table(schema, name);
  relation.interest = relation.table ? pipeline_.interest(*relation.table) : Interest::kNone;
  relation.shown = std::string(schema) + "." + std::string(name);
  const std::uint16_t count = in.u16();
  for (std::uint16_t i = 0; i < count; ++i) {
    Column column;
    column.identity = (in.u8() & 1) != 0;
    column.name = std::string(in.cstring());
    column.type = in.u32();
    in.u32();  // type modifier
    relation.columns.push_back(std::move(column));
  }
  if (relation.interest != Interest::kNone) {
    const auto key = key_lookup_(oid);
    if (key.empty()) throw Error("table " + relation.shown + " no longer has a primary key");
    for (const auto& key_column : key) {
      std::size_t at = 0;
      while (at < relation.columns.size() && relation.columns[at].name != key_column) ++at;
      if (at == relation.columns.size()) {
        throw Error("table " + relation.shown + ": primary key column " + key_column +
                    " is not among the replicated columns");
      }
      relation.key.push_back(at);
    }
  }
  logger().debug("relation {} ({} columns)", relation.shown, relation.columns.size());
  relations_[oid] = std::move(relation);
}

const PgOutputDecoder::Relation& PgOutputDecoder::relation(std::uint32_t oid) const {
  auto it = relations_.find(oid);
  if (it == relations_.end()) {
    throw Error("malformed replication stream: change for relation " + std::to_string(oid) +
                " before its Relation message");
  }
  return it->second;
}

void PgOutputDecoder::read_tuple(wire::Reader& in, const Relation& relation, Tuple& tuple) const {
  const std::uint16_t count = in.u16();
  if (count > relation.columns.size()) {
    throw Error("malformed replication stream: a row of " + relation.shown + " has " + std::to_string(count) +
                " columns, its relation " + std::to_string(relation.columns.size()));
  }
  tuple.resize(count);
  for (Cell& cell : tuple) {
    cell.kind = static_cast<char>(in.u8());
    cell.text = {};
    if (cell.kind == 't' || cell.kind == 'b') {
      cell.text = in.take(in.u32());
    } else if (cell.kind != 'n' && cell.kind != 'u') {
      throw Error(std::string("malformed replication stream: unknown column kind '") + cell.kind + "'");
    }
  }
}

std::vector<Value> PgOutputDecoder::key_of(const Relation& relation, const Tuple& tuple) const {
  std::vector<Value> key;
  key.reserve(relation.key.size());
  for (std::size_t column : relation.key) {
    if (column >= tuple.size() || tuple[column].kind != 't') {
      key.emplace_back();
    } else {
      key.push_back(make_value(relation.columns[column].type, tuple[column].text));
    }
  }
  return key;
}

Row PgOutputDecoder::row_of(const Relation& relation, const Tuple& tuple, bool identity_only,
                            std::vector<std::string>* unchanged_toast) const {
  Row row;
  row.reserve(tuple.size());
  for (std::size_t i = 0; i < tuple.size(); ++i) {
    const Column& column = relation.columns[i];
    if (identity_only && !column.identity) continue;
    switch (tuple[i].kind) {
      case 'u':
        if (unchanged_toast) unchanged_toast->push_back(column.name);
        break;
      case 't':
        row.push_back(Field{column.name, make_value(column.type, tuple[i].text)});
        break;
      default:
        row.push_back(Field{column.name, Value{}});
        break;
    }
  }
  return row;
}

ChangeEvent PgOutputDecoder::event_for(const Relation& relation, ChangeAction action) {
  ChangeEvent event;
  event.table = relation.table;
  event.action = action;
  event.index = index_++;
  return event;
}

void PgOutputDecoder::on_insert(wire::Reader& in) {
  const Relation& rel = relation(in.u32());
  in.u8();  // 'N'
  read_tuple(in, rel, new_tuple_);
  ChangeEvent event = event_for(rel, ChangeAction::kWrite);
  if (rel.interest == Interest::kNone) return;
  event.key = key_of(rel, new_tuple_);
  if (rel.interest == Interest::kRows) event.values = row_of(rel, new_tuple_, false, &event.unchanged_toast);
  pipeline_.change(std::move(event));
}

void PgOutputDecoder::on_update(wire::Reader& in) {
  const Relation& rel = relation(in.u32());
  char kind = static_cast<char>(in.u8());
  // 'K': the old key, sent when the key changed; 'O': the whole old row
  // under REPLICA IDENTITY FULL. Neither when the key stayed the same.
  const bool has_old = kind == 'K' || kind == 'O';
  const bool old_is_key = kind == 'K';
  if (has_old) {
    read_tuple(in, rel, old_tuple_);
    kind = static_cast<char>(in.u8());
  }
  if (kind != 'N') throw Error("malformed replication stream: update without a new row");
  read_tuple(in, rel, new_tuple_);
  const bool rows = rel.interest == Interest::kRows;
  if (rel.interest == Interest::kNone) {
    index_ += has_old ? 2 : 1;  // as many as a captured table would take (see below)
    return;
  }
  std::vector<Value> new_key = key_of(rel, new_tuple_);
  if (has_old) {
    std::vector<Value> old_key = key_of(rel, old_tuple_);
    if (old_key != new_key) {
      // The key changed: for everything keyed by it, the old row is gone and
      // a new one appeared, so say exactly that (as Debezium does).
      ChangeEvent gone = event_for(rel, ChangeAction::kDelete);
      gone.key = std::move(old_key);
      if (rows) gone.values = row_of(rel, old_tuple_, old_is_key, nullptr);
      pipeline_.change(std::move(gone));
      ChangeEvent written = event_for(rel, ChangeAction::kWrite);
      written.key = std::move(new_key);
      if (rows) written.values = row_of(rel, new_tuple_, false, &written.unchanged_toast);
      pipeline_.change(std::move(written));
      return;
    }
  }
  ChangeEvent event = event_for(rel, ChangeAction::kUpdate);
  if (has_old) ++index_;  // keep indexes independent of whether the key changed
  event.key = std::move(new_key);
  if (rows) {
    if (has_old && !old_is_key) event.before = row_of(rel, old_tuple_, false, nullptr);
    event.after = row_of(rel, new_tuple_, false, &event.unchanged_toast);
  }
  pipeline_.change(std::move(event));
}

void PgOutputDecoder::on_delete(wire::Reader& in) {
  const Relation& rel = relation(in.u32());
  const char kind = static_cast<char>(in.u8());
  if (kind != 'K' && kind != 'O') throw Error("malformed replication stream: delete without an old row");
  read_tuple(in, rel, old_tuple_);
  ChangeEvent event = event_for(rel, ChangeAction::kDelete);
  if (rel.interest == Interest::kNone) return;
  event.key = key_of(rel, old_tuple_);
  if (rel.interest == Interest::kRows) event.values = row_of(rel, old_tuple_, kind == 'K', nullptr);
  pipeline_.change(std::move(event));
}

void PgOutputDecoder::on_truncate(wire::Reader& in) {
  const std::uint32_t count = in.u32();
  in.u8();  // CASCADE / RESTART IDENTITY flags
  for (std::uint32_t i = 0; i < count; ++i) {
    const Relation& rel = relation(in.u32());
    ChangeEvent event = event_for(rel, ChangeAction::kTruncate);
    if (rel.interest != Interest::kNone) pipeline_.change(std::move(event));
  }
}

}  // namespace meowmx::internal
