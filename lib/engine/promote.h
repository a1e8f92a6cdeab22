// Machine mail kept apart (an out-of-office, a report, a newsletter that threaded nowhere) that a
// person decides is a request after all: `guichet promote`. It gets a request's reference (the
// year's counter, as if it had been one from the start), is routed by the rules from its first
// message, gets its response target, and is acknowledged as any request (unless its sender cannot
// be answered, which the letter's rules decide); its agent hears of it in every case.
#pragma once

#include <cstdint>
#include <string>

#include "engine/options.h"
#include "store/store.h"

namespace guichet::engine {

struct Promoted {
  std::string reference;  // the request's new reference
  std::string department, agent;
};

// In the caller's transaction. Errc::data when `r` is not machine mail.
Result<Promoted> promote(store::Store& store, const store::RequestInfo& r, const IngestOptions& options,
                         const std::string& actor, std::int64_t now);

}  // namespace guichet::engine
