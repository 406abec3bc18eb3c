#include "pg/session.h"

namespace meowmx::internal {

Session::Session(ClientOptions options)
    : options_(std::move(options)), conninfo_(conninfo_for(options_.dsn, options_.application_name)) {
  connect();
}

void Session::connect() {
  guarded("cannot connect to " + describe_dsn(options_.dsn), [&] {
    auto fresh = std::make_unique<pqxx::connection>(conninfo_);
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
