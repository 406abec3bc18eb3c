// Clients and events as the store and subscription tests make them.
#ifndef MEOWMX_TESTS_SUPPORT_EVENTS_H_
#define MEOWMX_TESTS_SUPPORT_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/client.h"
#include "meowmx/event.h"

namespace meowmx::testing {

// A Client on `dsn` with default options otherwise.
Client connect(const std::string& dsn, const std::string& application_name = "meowmx");

// A fresh, set-up database whose aggregate ids are text (readable in tests).
std::string text_database();

// `count` events of `event_type` with json {"n": first}, {"n": first + 1}, ...
std::vector<NewEvent> numbered_events(int count, int first = 0, const std::string& event_type = "Numbered");

// Writes `count` events of (type, id) inside `tx` as a save would (aggregate
// row and event rows), leaving the commit to the caller: a writer that holds
// its transaction open.
void write_in_open_transaction(pqxx::transaction_base& tx, const std::string& type, const std::string& id,
                               int count);

// The global ids of `events`, in their order.
std::vector<std::int64_t> ids(const std::vector<RecordedEvent>& events);

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_EVENTS_H_
