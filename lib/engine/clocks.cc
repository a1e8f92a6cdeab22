#include "engine/clocks.h"

namespace guichet::engine {

std::optional<calendar::Date> deemed_decision(const store::RequestInfo& r, calendar::Region region) {
  if (r.silence == "none" || !r.delay || r.suspended_since) return std::nullopt;
  auto delay = calendar::Delay::parse(*r.delay);
  if (!delay) return std::nullopt;
  if (r.silence == "acceptance") {
    const std::int64_t from = r.competent_since.value_or(r.received_at);
    return calendar::deemed_decision_date(calendar::local_date(from), *delay, region);
  }
  // Rejection: from the first receipt, the days it was suspended added.
  const calendar::Date start = calendar::add_days(calendar::local_date(r.received_at), r.suspended_days);
  return calendar::deemed_decision_date(start, *delay, region);
}

std::optional<calendar::Date> response_due(const store::RequestInfo& r, const directory::Directory* dir,
                                           calendar::Region region) {
  if (!dir || !r.department) return std::nullopt;
  const directory::Department* d = dir->department(*r.department);
  if (!d || !d->response_target) return std::nullopt;
  const std::int64_t from = r.competent_since.value_or(r.received_at);
  return calendar::deemed_decision_date(calendar::local_date(from), *d->response_target, region);
}

std::optional<std::string> iso(const std::optional<calendar::Date>& d) {
  return d ? std::optional<std::string>(d->iso()) : std::nullopt;
}

}  // namespace guichet::engine
