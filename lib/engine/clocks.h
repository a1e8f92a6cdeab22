// The clocks of a request, from its row: the date silence becomes a decision, and the
// department's response target. One place for the rules of docs/legal.md §2-3:
// - the rejection clock runs from the first receipt (L114-3), and stops while pieces are missing
//   (L114-5: the days it stood still are added to it);
// - the acceptance clock runs from the receipt by the competent service (L114-3, a transfer
//   restarts it), and starts again from the day the missing pieces arrive (L114-5);
// - while pieces are missing there is no date: the request is suspended;
// - a date that falls on a non-working day moves to the next working day (lib/calendar).
#pragma once

#include <optional>
#include <string>

#include "calendar/calendar.h"
#include "directory/directory.h"
#include "store/store.h"

namespace guichet::engine {

// The deemed-decision date, or nullopt (silence means nothing, no delay, or suspended).
std::optional<calendar::Date> deemed_decision(const store::RequestInfo& r, calendar::Region region);

// The response target of the department in charge, from the receipt by that department.
std::optional<calendar::Date> response_due(const store::RequestInfo& r, const directory::Directory* dir,
                                           calendar::Region region);

// The two dates as stored (YYYY-MM-DD), for RequestChanges.
std::optional<std::string> iso(const std::optional<calendar::Date>& d);

}  // namespace guichet::engine
