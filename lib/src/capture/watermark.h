// Watermark: which transactions every sink has. Each committed transaction
// waits for a mark from every sink, in any order; the low watermark is the
// last transaction that has all its marks with all before it.
#ifndef MEOWMX_SRC_CAPTURE_WATERMARK_H_
#define MEOWMX_SRC_CAPTURE_WATERMARK_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "meowmx/capture/position.h"

namespace meowmx::internal {

class Watermark {
 public:
  explicit Watermark(std::size_t sinks = 0) : sinks_(sinks) {}
  void resize(std::size_t sinks) { sinks_ = sinks; }

  // A committed transaction; sequences are added in increasing order.
  void add(std::uint64_t sequence, const TransactionPosition& position);
  // Sink `sink` has transaction `sequence`; marks of unknown sequences and
  // repeated marks are ignored. Returns true when the watermark moved.
  bool mark(std::size_t sink, std::uint64_t sequence);

  // The position of the low watermark; nullopt before the first.
  std::optional<TransactionPosition> low() const;
  // Whether every added transaction has all its marks.
  bool complete() const;

 private:
  struct Pending {
    TransactionPosition position;
    std::vector<bool> marked;
    std::size_t missing = 0;
  };

  std::size_t sinks_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Pending> pending_;
  std::optional<TransactionPosition> low_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_WATERMARK_H_
