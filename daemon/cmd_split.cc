// guichet split REF MESSAGE-ID: one message of REF was another matter. It moves to a new request
// linked to REF; replies to it will follow it there. Both requests record who split them.
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "actor.h"
#include "commands.h"
#include "util/local_time.h"
#include "util/clock.h"

namespace guichet::cli {

Command add_split(CLI::App& app) {
  struct Options {
    std::string reference, message_id, actor = default_actor();
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("split", "Move one message of a request into a new request (audited)");
  c.app->add_option("reference", opt->reference, "the request")->required();
  c.app->add_option("message-id", opt->message_id, "the message to move (as in `show`, brackets optional)")->required();
  c.app->add_option("--actor", opt->actor, "who does it, for the audit trail")->capture_default_str();
  c.needs = Needs::store_write;
  c.run = [opt](Context& ctx) -> int {
    std::string id = opt->message_id;
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
    store::Store& st = *ctx.store;
    auto tx = st.transaction();
    if (!tx) return report(tx.error());
    auto found = st.request(opt->reference);
    if (!found) return report(found.error());
    if (!*found) return report(Error{Errc::data, "no request " + opt->reference});
    const auto& r = **found;
    if (r.merged_into) return report(Error{Errc::data, r.reference + " was merged into " + *r.merged_into});
    const store::MessageInfo* msg = nullptr;
    for (const auto& m : r.messages) {
      if (m.message_id && *m.message_id == id) msg = &m;
    }
    if (!msg) return report(Error{Errc::data, "request " + r.reference + " has no message " + id});
    if (r.messages.size() < 2) return report(Error{Errc::data, r.reference + " has only this message: nothing to split"});
    const Clock& clock = *ctx.clock;
    std::int64_t now = clock.now();
    auto created = st.split(msg->id, local_time(msg->received_at).year, now);
    if (!created) return report(created.error());
    auto fresh = st.find_request(*created);
    if (!fresh || !*fresh) return report(Error{Errc::software, "split request " + *created + " not found"});
    nlohmann::json detail{{"from", r.reference}, {"to", *created}, {"message_id", id}};
    std::string d = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (auto e = st.add_event(r.id, msg->id, now, opt->actor, "split", d); !e) return report(e.error());
    if (auto e = st.add_event((*fresh)->id, msg->id, now, opt->actor, "split", d); !e) return report(e.error());
    if (auto e = tx->commit(); !e) return report(e.error());
    std::cout << id << " moved from " << r.reference << " to " << *created << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
