#include "pg/session.h"

namespace meowmx::internal {

Session::Session(ClientOptions options) : options_(std::move(options)) { connect(); }

void Session::connect() {
  guarded("cannot connect to " + describe_dsn(options_.dsn), [&] {
    auto fresh = std::make_unique<pqxx::connection>(options_.dsn);
    fresh->set_variable("application_name", fresh->quote(options_.application_name));
    for (const auto& [name, sql] : prepared_) fresh->prepare(name, sql);
    connection_ = std::move(fresh);
  });
}

void Session::prepare(const std::string& name, const std::string& sql) {
  prepared_.emplace_back(name, sql);
  connection_->prepare(name, sql);
}

void Session::reconnect() {
  connection_.reset();
  connect();
}

}  // namespace meowmx::internal
