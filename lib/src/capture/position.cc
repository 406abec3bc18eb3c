#include "meowmx/capture/position.h"

#include <nlohmann/json.hpp>

#include "capture/postgres/lsn.h"
#include "common/json_string.h"
#include "meowmx/error.h"

namespace meowmx {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

// Binlog files are named <base>.<sequence>, the sequence growing (and
// possibly growing a digit): shorter names come first.
std::partial_ordering compare_binlog(const BinlogPosition& a, const BinlogPosition& b) {
  if (a.file.size() != b.file.size()) return a.file.size() <=> b.file.size();
  if (const auto order = a.file <=> b.file; order != 0) return order;
  return a.pos <=> b.pos;
}

std::string binlog_json_start(const BinlogPosition& binlog) {
  std::string out = R"({"file":)";
  internal::append_json_string(out, binlog.file);
  out += R"(,"pos":)" + std::to_string(binlog.pos);
  return out;
}

}  // namespace

std::partial_ordering compare(const TransactionPosition& a, const TransactionPosition& b) {
  const auto* binlog_a = std::get_if<BinlogPosition>(&a);
  const auto* binlog_b = std::get_if<BinlogPosition>(&b);
  if (binlog_a && binlog_b) return compare_binlog(*binlog_a, *binlog_b);
  const auto* lsn_a = std::get_if<LsnPosition>(&a);
  const auto* lsn_b = std::get_if<LsnPosition>(&b);
  if (!lsn_a || !lsn_b) return std::partial_ordering::unordered;
  return lsn_a->commit_lsn <=> lsn_b->commit_lsn;
}

std::string to_json_text(const TransactionPosition& position) {
  return std::visit(Overloaded{[](const LsnPosition& lsn) {
                                 return R"({"lsn":")" + internal::format_lsn(lsn.end_lsn) + R"(","commit_lsn":")" +
                                        internal::format_lsn(lsn.commit_lsn) + "\"}";
                               },
                               [](const XidPosition& xid) { return R"({"xid":)" + std::to_string(xid.xid) + "}"; },
                               [](const BinlogPosition& binlog) {
                                 std::string out = binlog_json_start(binlog);
                                 if (!binlog.gtid.empty()) {
                                   out += R"(,"gtid":)";
                                   internal::append_json_string(out, binlog.gtid);
                                 }
                                 return out + "}";
                               }},
                    position);
}

TransactionPosition parse_transaction_position(std::string_view json_text) {
  const auto json = nlohmann::json::parse(json_text, nullptr, false);
  try {
    if (json.is_object() && json.contains("commit_lsn")) {
      return LsnPosition{internal::parse_lsn(json.at("commit_lsn").get<std::string>()),
                         internal::parse_lsn(json.at("lsn").get<std::string>())};
    }
    if (json.is_object() && json.contains("xid")) return XidPosition{json.at("xid").get<std::uint64_t>()};
    if (json.is_object() && json.contains("file")) {
      return BinlogPosition{json.at("file").get<std::string>(), json.at("pos").get<std::uint64_t>(),
                            json.value("gtid", std::string())};
    }
  } catch (const std::exception&) {
    // falls through to the one message below
  }
  throw InvalidArgument("not a capture position: " + std::string(json_text.substr(0, 80)));
}

std::string change_position_json(const TransactionPosition& transaction, std::int64_t index) {
  return std::visit(Overloaded{[&](const LsnPosition& lsn) {
                                 return R"({"lsn":")" + internal::format_lsn(lsn.commit_lsn) + R"(","index":)" +
                                        std::to_string(index) + "}";
                               },
                               [&](const XidPosition& xid) {
                                 return R"({"xid":)" + std::to_string(xid.xid) + R"(,"index":)" +
                                        std::to_string(index) + "}";
                               },
                               [&](const BinlogPosition& binlog) {
                                 return binlog_json_start(binlog) + R"(,"index":)" + std::to_string(index) + "}";
                               }},
                    transaction);
}

}  // namespace meowmx
