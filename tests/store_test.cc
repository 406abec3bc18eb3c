#include <catch2/catch.hpp>

#include "meowmx/meowmx.h"
#include "support/test_cluster.h"

using namespace meowmx;

TEST_CASE("a saved event loads back") {
  Client client(ClientOptions{testing::fresh_database()});
  const std::string id = "0b5e7f5c-6a2e-4c1b-9a47-3d1c2e8f9a10";
  auto saved = client.save("order", id, {NewEvent{"OrderCreated", {{"customer", "c1"}}, nullptr, std::nullopt}}, 0);
  REQUIRE(saved.size() == 1);
  auto loaded = client.load("order", id);
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].json == nlohmann::json{{"customer", "c1"}});
  CHECK(loaded[0].version == 0);
}
