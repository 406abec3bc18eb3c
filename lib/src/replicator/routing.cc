#include "replicator/routing.h"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr int kKetamaDigestsPerServer = 40;  // 4 points per digest: 160 per server

int hex_digit(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

std::uint32_t ketama_point(const std::array<unsigned char, 16>& digest, int which) {
  const int at = which * 4;
  return (static_cast<std::uint32_t>(digest[at + 3]) << 24) | (static_cast<std::uint32_t>(digest[at + 2]) << 16) |
         (static_cast<std::uint32_t>(digest[at + 1]) << 8) | digest[at];
}

std::vector<std::string> worker_names(int workers) {
  std::vector<std::string> names;
  for (int i = 0; i < workers; ++i) names.push_back(std::to_string(i));
  return names;
}

}  // namespace

std::uint64_t fnv1a_64(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::int32_t jump_consistent_hash(std::uint64_t key, std::int32_t buckets) {
  std::int64_t b = -1;
  std::int64_t j = 0;
  while (j < buckets) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::int32_t>(b);
}

// libpq's MD5 password hash is "md5" + hex(md5(password + user)); with an
// empty user it is the plain digest of the text. pk texts hold no NUL
// (pk_text escapes control characters), which the C string would cut.
std::array<unsigned char, 16> md5(std::string_view text) {
  const std::string input(text);
  std::unique_ptr<char, decltype(&PQfreemem)> hashed(PQencryptPassword(input.c_str(), ""), &PQfreemem);
  if (!hashed) throw Error("md5: out of memory");
  const std::string_view hex(hashed.get() + 3);
  std::array<unsigned char, 16> digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    digest[i] = static_cast<unsigned char>(hex_digit(hex[2 * i]) * 16 + hex_digit(hex[2 * i + 1]));
  }
  return digest;
}

KetamaRing::KetamaRing(const std::vector<std::string>& servers) {
  for (int server = 0; server < static_cast<int>(servers.size()); ++server) {
    for (int k = 0; k < kKetamaDigestsPerServer; ++k) {
      const auto digest = md5(servers[static_cast<std::size_t>(server)] + "-" + std::to_string(k));
      for (int which = 0; which < 4; ++which) points_.emplace_back(ketama_point(digest, which), server);
    }
  }
  std::sort(points_.begin(), points_.end());
}

int KetamaRing::server_of(std::string_view key) const {
  if (points_.empty()) throw InvalidArgument("ketama: no servers");
  const std::uint32_t point = ketama_point(md5(key), 0);
  auto it = std::lower_bound(points_.begin(), points_.end(), std::pair<std::uint32_t, int>(point, -1));
  if (it == points_.end()) it = points_.begin();
  return it->second;
}

Router::Router(PkHash hash, int workers)
    : hash_(hash), workers_(workers), ring_(hash == PkHash::kKetama ? worker_names(workers) : std::vector<std::string>{}) {
  if (workers < 1) throw InvalidArgument("a topic needs at least one worker");
}

int Router::worker_of(std::string_view pk) const {
  if (hash_ == PkHash::kKetama) return ring_.server_of(pk);
  return jump_consistent_hash(fnv1a_64(pk), workers_);
}

}  // namespace meowmx::internal
