// Positions: where a transaction sits in its source's stream. Each source has
// a type of its own; sinks store them (as JSON) to know where they are, and
// the pipeline compares them to skip what a sink already has.
#ifndef MEOWMX_CAPTURE_POSITION_H_
#define MEOWMX_CAPTURE_POSITION_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace meowmx {

// PostgreSQL logical decoding: the transaction's commit record, and the end
// of that record (what the slot is acknowledged up to; 0 until the commit is
// read). Ordered by commit_lsn, which is commit order.
struct LsnPosition {
  std::uint64_t commit_lsn = 0;
  std::uint64_t end_lsn = 0;

  bool operator==(const LsnPosition&) const = default;
};

// PostgreSQL triggers: the writing transaction's id. Transaction ids are not
// in commit order and nothing is replayed, so these are never ordered.
struct XidPosition {
  std::uint64_t xid = 0;

  bool operator==(const XidPosition&) const = default;
};

// MySQL/MariaDB binlog: the end of the transaction's commit event (file and
// byte offset: where a replica goes on from) and its GTID when the server
// has one ("0-1-42" on MariaDB). Ordered by file, then offset.
struct BinlogPosition {
  std::string file;
  std::uint64_t pos = 0;
  std::string gtid;

  bool operator==(const BinlogPosition&) const = default;
};

using TransactionPosition = std::variant<LsnPosition, XidPosition, BinlogPosition>;

// Order within one stream: less, equivalent or greater, or unordered when
// the two cannot be compared (trigger positions, positions of other kinds).
std::partial_ordering compare(const TransactionPosition& a, const TransactionPosition& b);

// {"lsn": "0/16B3780", "commit_lsn": "0/16B3748"}, {"xid": 734} or
// {"file": "mariadb-bin.000002", "pos": 1234, "gtid": "0-1-42"} (no "gtid"
// when there is none): the JSON the position signal and the sinks' stores hold.
std::string to_json_text(const TransactionPosition& position);
// The reverse; throws InvalidArgument on anything else.
TransactionPosition parse_transaction_position(std::string_view json_text);

// A change's place: its transaction's position and its index in it, as the
// JSON events show it: {"lsn": "<commit lsn>", "index": 3}, {"xid": 734, "index": 3}
// or {"file": "mariadb-bin.000002", "pos": 1234, "index": 3}.
std::string change_position_json(const TransactionPosition& transaction, std::int64_t index);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_POSITION_H_
