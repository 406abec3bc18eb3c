// Publication and slot: the server-side state of the logical decoding source.
//
// The publication is created (before the slot, so the slot's decoding can see
// it) with a comment that lists the slots meowmx made for it. That record is
// how a later run tells "first run: create the slot" from "the slot was
// dropped or lost: changes are gone", which must be a loud error rather than a
// silent new start from the current WAL.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_PUBLICATION_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_PUBLICATION_H_

#include <string>
#include <utility>
#include <vector>

#include "meowmx/capture/pub.h"
#include "capture/postgres/catalog.h"

namespace meowmx::internal {

// Creates the publication for these tables, or adds the missing ones to a
// publication meowmx made (never removing any: other slots may share it; the
// pipeline drops what is not asked for). A publication made by someone else
// must already publish the tables (InvalidArgument otherwise).
void ensure_publication(Catalog& catalog, const std::string& publication,
                        const std::vector<PgTable>& tables);

// Makes sure the pgoutput slot exists and can still stream, creating it when
// the publication never had it. Throws Error when it was dropped or
// invalidated, InvalidArgument when the name is taken by another kind of slot.
// Returns the slot's confirmed position, where streaming will resume.
Lsn ensure_slot(Catalog& catalog, const std::string& slot, const std::string& publication);

PubStatus read_status(Catalog& catalog, const std::string& slot, const std::string& publication);

// Every pgoutput slot of the catalog's database with its publication: the
// one whose meowmx comment lists it, else the one named like it.
std::vector<std::pair<std::string, std::string>> list_slots(Catalog& catalog);

PubDropResult drop_slot_and_publication(Catalog& catalog, const std::string& slot,
                                        const std::string& publication);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_PUBLICATION_H_
