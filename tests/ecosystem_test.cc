// The library's side of fitting in: DSN passwords found by structure in every
// form, targets described as libpq resolves them, the user's application_name
// kept, uuid5 pinned to RFC 4122's vector, and Client::connection() typed as
// pqxx::connection.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>

#include <pqxx/pqxx>

#include "common/uuid5.h"
#include "meowmx/meowmx.h"
#include "pg/dsn.h"
#include "support/events.h"
#include "support/scoped_env.h"
#include "support/test_cluster.h"

using namespace meowmx;
using testing::ScopedEnv;

namespace {

std::string session_application_name(Client& client) {
  pqxx::nontransaction tx(client.connection());
  return tx.exec1("SELECT current_setting('application_name')")[0].as<std::string>();
}

}  // namespace

TEST_CASE("uuid5 is RFC 4122's name-based id, pinned to known vectors") {
  // RFC 4122's DNS namespace and www.example.com (the RFC's errata-corrected vector).
  CHECK(internal::uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com") ==
        "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  // The URL namespace, as Python's uuid.uuid5(uuid.NAMESPACE_URL, ...) gives it.
  CHECK(internal::uuid5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "https://example.com/") ==
        "dd2c1780-811a-5296-81c5-178a0ef488bc");
  CHECK_THROWS_AS(internal::uuid5("not-a-uuid", "x"), InvalidArgument);
}

TEST_CASE("DSN passwords are masked by their place in every form, and nothing else is touched") {
  using internal::mask_password_fields;
  CHECK(mask_password_fields("postgresql://app:s3cret@db.example.com:5433/app") ==
        "postgresql://app:***@db.example.com:5433/app");
  CHECK(mask_password_fields("postgres://app:p%40ss%2Fw@db/app?sslmode=require") ==
        "postgres://app:***@db/app?sslmode=require");
  CHECK(mask_password_fields("postgresql://app@db.example.com/app?password=50%off&sslmode=require") ==
        "postgresql://app@db.example.com/app?password=***&sslmode=require");
  CHECK(mask_password_fields("host=db user=app password=s3cret dbname=app") ==
        "host=db user=app password=*** dbname=app");
  CHECK(mask_password_fields("host=db password = 'it\\'s a secret' dbname=app") ==
        "host=db password = *** dbname=app");
  CHECK(mask_password_fields("password=a&b#c port=1") == "password=*** port=1");
  // Unparsable DSNs are masked all the same.
  CHECK(mask_password_fields("postgresql://u:s3cret@[::1") == "postgresql://u:***@[::1");
  CHECK(mask_password_fields("postgresql://u:p@ss@host/db") == "postgresql://u:***@host/db");
  // A password equal to common words changes nothing else.
  CHECK(mask_password_fields("host=127.0.0.1 port=1 password=on connection refused") ==
        "host=127.0.0.1 port=1 password=*** connection refused");
  CHECK(internal::redact("cannot connect: Connection refused", "host=x password=on") ==
        "cannot connect: Connection refused");
  CHECK(mask_password_fields("old_password=x superpassword=y") == "old_password=x superpassword=y");
}

TEST_CASE("a DSN libpq cannot parse is described without its password") {
  const auto problem = internal::dsn_problem("postgresql://app@db.example.com/app?password=50%off");
  REQUIRE(problem);
  CHECK(problem->find("50%off") == std::string::npos);
  CHECK(problem->find("password") != std::string::npos);
  const auto bracket = internal::dsn_problem("postgresql://u:s3cret@[::1");
  REQUIRE(bracket);
  CHECK(bracket->find("s3cret") == std::string::npos);
  CHECK(bracket->find("u:***@[::1") != std::string::npos);
  CHECK_FALSE(internal::dsn_problem("host=db password=x"));
  CHECK_FALSE(internal::dsn_problem(""));
}

TEST_CASE("targets are described as libpq resolves them, PG* environment included") {
  CHECK(internal::describe_dsn("postgresql://u:pw@db.example.com:6000/app") == "db.example.com:6000/app");
  ScopedEnv host("PGHOST", "env-host.example.com");
  ScopedEnv port("PGPORT", "6543");
  ScopedEnv db("PGDATABASE", "envdb");
  CHECK(internal::describe_dsn("") == "env-host.example.com:6543/envdb");
  CHECK(internal::describe_dsn("dbname=mine") == "env-host.example.com:6543/mine");
}

TEST_CASE("the user's application_name wins over meowmx's, which is only the fallback") {
  const std::string dsn = testing::fresh_database();
  SECTION("none given: meowmx's") {
    Client client = testing::connect(dsn, "meowmx-test");
    CHECK(session_application_name(client) == "meowmx-test");
  }
  SECTION("in the DSN") {
    Client client = testing::connect(dsn + "?application_name=billing", "meowmx-test");
    CHECK(session_application_name(client) == "billing");
  }
  SECTION("in PGAPPNAME") {
    ScopedEnv app("PGAPPNAME", "reporting");
    Client client = testing::connect(dsn, "meowmx-test");
    CHECK(session_application_name(client) == "reporting");
  }
}

TEST_CASE("Client::connection() is a pqxx::connection, which libpqxx 7 keeps") {
  STATIC_REQUIRE(std::is_same_v<decltype(std::declval<Client&>().connection()), pqxx::connection&>);
}
