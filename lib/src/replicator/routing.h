// Routing: which worker of a topic handles a pk. Stable across restarts and
// machines, so the same pk always goes to the same worker and its changes
// stay in order.
//
// Jump (the default): Lamping and Veach's jump consistent hash over the
// 64-bit FNV-1a hash of the pk's text. Ketama: libketama's continuum (MD5,
// 160 points per worker, named "0", "1", ...), the ring meepo's
// QueueReplicator used, for users who need its spread.
#ifndef MEOWMX_SRC_REPLICATOR_ROUTING_H_
#define MEOWMX_SRC_REPLICATOR_ROUTING_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meowmx/replicator.h"

namespace meowmx::internal {

// FNV-1a, 64 bits, over the bytes of `text`.
std::uint64_t fnv1a_64(std::string_view text);

// The bucket in [0, buckets) of `key`; buckets must be positive.
std::int32_t jump_consistent_hash(std::uint64_t key, std::int32_t buckets);

// The MD5 digest of `text` (from libpq, which meowmx links anyway).
std::array<unsigned char, 16> md5(std::string_view text);

// libketama's continuum over equally weighted servers.
class KetamaRing {
 public:
  explicit KetamaRing(const std::vector<std::string>& servers);
  // The index of the server `key` maps to.
  int server_of(std::string_view key) const;

 private:
  std::vector<std::pair<std::uint32_t, int>> points_;  // sorted by point
};

class Router {
 public:
  Router(PkHash hash, int workers);
  int worker_of(std::string_view pk) const;

 private:
  PkHash hash_;
  int workers_;
  KetamaRing ring_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REPLICATOR_ROUTING_H_
