#include "capture/postgres/pgoutput.h"

#include <charconv>
#include <cmath>

#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// Type oids (pg_type.h) whose text form maps onto a JSON type of its own.
constexpr std::uint32_t kBool = 16;
constexpr std::uint32_t kInt8 = 20;
constexpr std::uint32_t kInt2 = 21;
constexpr std::uint32_t kInt4 = 23;
constexpr std::uint32_t kOid = 26;
constexpr std::uint32_t kJson = 114;
constexpr std::uint32_t kFloat4 = 700;
constexpr std::uint32_t kFloat8 = 701;
constexpr std::uint32_t kJsonb = 3802;

// Integers, floats, booleans and JSON keep their JSON type; everything else
// (numeric included, so no digit is lost) stays PostgreSQL's text.
nlohmann::json typed_value(std::uint32_t type, std::string_view text) {
  const char* end = text.data() + text.size();
  switch (type) {
    case kBool:
      return text == "t";
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      std::int64_t number = 0;
      auto [stop, error] = std::from_chars(text.data(), end, number);
      if (error == std::errc() && stop == end) return number;
      break;
    }
    case kFloat4:
    case kFloat8: {
      double number = 0;
      auto [stop, error] = std::from_chars(text.data(), end, number);
      if (error == std::errc() && stop == end && std::isfinite(number)) return number;
      break;  // NaN and Infinity have no JSON form
    }
    case kJson:
    case kJsonb: {
      auto parsed = nlohmann::json::parse(text, nullptr, false);
      if (!parsed.is_discarded()) return parsed;
      break;
    }
    default:
      break;
  }
  return std::string(text);
}

std::string signal_prefix_of(std::string_view schema, std::string_view name) {
  return schema == "public" ? std::string(name) : std::string(schema) + "." + std::string(name);
}

}  // namespace

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
      // Type ('Y') and Origin ('O') messages carry nothing events need.
      return std::nullopt;
  }
}

void PgOutputDecoder::on_begin(wire::Reader& in) {
  commit_lsn_ = format_lsn(in.u64());
  commit_time_ = wire::postgres_time_iso(in.i64());
  xid_ = in.u32();
  index_ = 0;
  in_transaction_ = true;
}

std::optional<Lsn> PgOutputDecoder::on_commit(wire::Reader& in) {
  in.u8();  // flags, unused
  const Lsn commit_lsn = in.u64();
  const Lsn end_lsn = in.u64();
  // The end LSN is the resume point: acknowledging it makes the server skip
  // this transaction next time, and nothing after it.
  pipeline_.commit({{"lsn", format_lsn(end_lsn)},
                    {"commit_lsn", format_lsn(commit_lsn)},
                    {"xid", xid_},
                    {"commit_time", commit_time_}});
  in_transaction_ = false;
  return end_lsn;
}

void PgOutputDecoder::on_relation(wire::Reader& in) {
  const std::uint32_t oid = in.u32();
  const std::string_view schema = in.cstring();
  const std::string_view name = in.cstring();
  in.u8();  // replica identity setting; the key comes from pg_index instead
  Relation relation;
  relation.table = signal_prefix_of(schema, name);
  relation.followed = pipeline_.follows(relation.table);
  const std::uint16_t count = in.u16();
  for (std::uint16_t i = 0; i < count; ++i) {
    Column column;
    column.identity = (in.u8() & 1) != 0;
    column.name = std::string(in.cstring());
    column.type = in.u32();
    in.u32();  // type modifier
    relation.columns.push_back(std::move(column));
  }
  if (relation.followed) {
    const auto key = key_lookup_(oid);
    if (key.empty()) throw Error("table " + relation.table + " no longer has a primary key");
    for (const auto& key_column : key) {
      std::size_t at = 0;
      while (at < relation.columns.size() && relation.columns[at].name != key_column) ++at;
      if (at == relation.columns.size()) {
        throw Error("table " + relation.table + ": primary key column " + key_column +
                    " is not among the replicated columns");
      }
      relation.key.push_back(at);
    }
  }
  logger().debug("relation {} ({} columns)", relation.table, relation.columns.size());
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
    throw Error("malformed replication stream: a row of " + relation.table + " has " + std::to_string(count) +
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

nlohmann::json PgOutputDecoder::key_of(const Relation& relation, const Tuple& tuple) const {
  auto value = [&](std::size_t column) -> nlohmann::json {
    if (column >= tuple.size() || tuple[column].kind != 't') return nullptr;
    return typed_value(relation.columns[column].type, tuple[column].text);
  };
  if (relation.key.size() == 1) return value(relation.key[0]);
  auto key = nlohmann::json::array();
  for (std::size_t column : relation.key) key.push_back(value(column));
  return key;
}

nlohmann::json PgOutputDecoder::row_of(const Relation& relation, const Tuple& tuple, bool identity_only,
                                       std::vector<std::string>* unchanged_toast) const {
  auto row = nlohmann::json::object();
  for (std::size_t i = 0; i < tuple.size(); ++i) {
    const Column& column = relation.columns[i];
    if (identity_only && !column.identity) continue;
    switch (tuple[i].kind) {
      case 'u':
        if (unchanged_toast) unchanged_toast->push_back(column.name);
        break;
      case 't':
        row[column.name] = typed_value(column.type, tuple[i].text);
        break;
      default:
        row[column.name] = nullptr;
        break;
    }
  }
  return row;
}

ChangeEvent PgOutputDecoder::event_for(const Relation& relation, ChangeAction action, bool rows) {
  ChangeEvent event;
  event.table = relation.table;
  event.action = action;
  event.xid = xid_;
  if (rows) {
    event.position = {{"lsn", commit_lsn_}, {"index", index_}};
    event.commit_time = commit_time_;
  }
  ++index_;
  return event;
}

void PgOutputDecoder::on_insert(wire::Reader& in) {
  const Relation& rel = relation(in.u32());
  in.u8();  // 'N'
  read_tuple(in, rel, new_tuple_);
  const bool rows = pipeline_.wants_rows(rel.table, ChangeAction::kWrite);
  ChangeEvent event = event_for(rel, ChangeAction::kWrite, rows);
  if (!rel.followed) return;
  event.pk = key_of(rel, new_tuple_);
  if (rows) event.values = row_of(rel, new_tuple_, false, &event.unchanged_toast);
  pipeline_.change(event);
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
  if (!rel.followed) {
    index_ += has_old ? 2 : 1;  // as many as a followed table would take (see below)
    return;
  }
  nlohmann::json new_key = key_of(rel, new_tuple_);
  if (has_old) {
    nlohmann::json old_key = key_of(rel, old_tuple_);
    if (old_key != new_key) {
      // The key changed: for everything keyed by it, the old row is gone and
      // a new one appeared, so say exactly that (as Debezium does).
      const bool gone_rows = pipeline_.wants_rows(rel.table, ChangeAction::kDelete);
      ChangeEvent gone = event_for(rel, ChangeAction::kDelete, gone_rows);
      gone.pk = std::move(old_key);
      if (gone_rows) gone.values = row_of(rel, old_tuple_, old_is_key, nullptr);
      pipeline_.change(gone);
      const bool written_rows = pipeline_.wants_rows(rel.table, ChangeAction::kWrite);
      ChangeEvent written = event_for(rel, ChangeAction::kWrite, written_rows);
      written.pk = std::move(new_key);
      if (written_rows) written.values = row_of(rel, new_tuple_, false, &written.unchanged_toast);
      pipeline_.change(written);
      return;
    }
  }
  const bool rows = pipeline_.wants_rows(rel.table, ChangeAction::kUpdate);
  ChangeEvent event = event_for(rel, ChangeAction::kUpdate, rows);
  if (has_old) ++index_;  // keep indexes independent of whether the key changed
  event.pk = std::move(new_key);
  if (rows) {
    if (has_old && !old_is_key) event.before = row_of(rel, old_tuple_, false, nullptr);
    event.after = row_of(rel, new_tuple_, false, &event.unchanged_toast);
  }
  pipeline_.change(event);
}

void PgOutputDecoder::on_delete(wire::Reader& in) {
  const Relation& rel = relation(in.u32());
  const char kind = static_cast<char>(in.u8());
  if (kind != 'K' && kind != 'O') throw Error("malformed replication stream: delete without an old row");
  read_tuple(in, rel, old_tuple_);
  const bool rows = pipeline_.wants_rows(rel.table, ChangeAction::kDelete);
  ChangeEvent event = event_for(rel, ChangeAction::kDelete, rows);
  if (!rel.followed) return;
  event.pk = key_of(rel, old_tuple_);
  if (rows) event.values = row_of(rel, old_tuple_, kind == 'K', nullptr);
  pipeline_.change(event);
}

void PgOutputDecoder::on_truncate(wire::Reader& in) {
  const std::uint32_t count = in.u32();
  in.u8();  // CASCADE / RESTART IDENTITY flags
  for (std::uint32_t i = 0; i < count; ++i) {
    const Relation& rel = relation(in.u32());
    ChangeEvent event = event_for(rel, ChangeAction::kTruncate,
                                  pipeline_.wants_rows(rel.table, ChangeAction::kTruncate));
    if (rel.followed) pipeline_.change(event);
  }
}

}  // namespace meowmx::internal
