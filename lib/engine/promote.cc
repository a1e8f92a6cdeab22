#include "engine/promote.h"

#include <nlohmann/json.hpp>

#include "calendar/calendar.h"
#include "engine/outbox.h"
#include "engine/route.h"
#include "mail/parse.h"
#include "util/json.h"

namespace guichet::engine {

Result<Promoted> promote(store::Store& store, const store::RequestInfo& r, const IngestOptions& options,
                         const std::string& actor, std::int64_t now) {
  if (r.kind != store::name(store::RequestKind::machine))
    return make_error(Errc::data, r.reference + " is a request already, not machine mail kept apart");
  if (r.messages.empty()) return make_error(Errc::software, r.reference + " has no message");
  auto raw = store.raw(r.messages.front().id);
  if (!raw) return raw.error();
  const mail::Message m = mail::parse(*raw, options.limits);
  auto reference = store.promote(r.id, calendar::local_date(r.received_at).year, now);
  if (!reference) return reference.error();
  auto routed = route(store, m, options, r.received_at);
  if (!routed) return routed.error();
  store::RequestChanges c;
  c.department = routed->department;
  c.agent = routed->routing.agent;
  c.response_due_on = response_due_on(routed->department, r.received_at, options);
  if (auto u = store.update_request(r.id, c, now); !u) return u.error();
  const nlohmann::json detail{{"from", r.reference},
                              {"to", *reference},
                              {"department", routed->department.value_or("")},
                              {"agent", routed->routing.agent.value_or("")},
                              {"rules", routed->routing.rules}};
  if (auto e = store.add_event(r.id, r.messages.front().id, now, actor, "promoted", dump_json(detail)); !e)
    return e.error();
  NewRequestMail mail{r.id, *reference, r.received_at, true};
  if (auto q = queue_for_new_request(store, m, *routed, mail, options, now); !q) return q.error();
  return Promoted{*reference, routed->department.value_or(""), routed->routing.agent.value_or("")};
}

}  // namespace guichet::engine
