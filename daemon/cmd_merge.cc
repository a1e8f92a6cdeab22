// guichet merge REF1 REF2: REF2 was the same matter as REF1. Its messages move into REF1, REF2
// points to REF1 (its reference keeps working: later mail quoting it lands in REF1), and both
// requests record who merged them.
#include <iostream>
#include <nlohmann/json.hpp>

#include "actor.h"
#include "commands.h"
#include "util/clock.h"

namespace guichet::cli {

Command add_merge(CLI::App& app) {
  struct Options {
    std::string into, from, actor = default_actor();
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("merge", "Merge request REF2 into REF1 (both audited)");
  c.app->add_option("ref1", opt->into, "the request that stays")->required();
  c.app->add_option("ref2", opt->from, "the request merged into it")->required();
  c.app->add_option("--actor", opt->actor, "who does it, for the audit trail")->capture_default_str();
  c.needs = Needs::store_write;
  c.run = [opt](Context& ctx) -> int {
    store::Store& st = *ctx.store;
    auto tx = st.transaction();
    if (!tx) return report(tx.error());
    auto into = st.find_request(opt->into);
    auto from = st.find_request(opt->from);
    if (!into) return report(into.error());
    if (!from) return report(from.error());
    if (!*into) return report(Error{Errc::data, "no request " + opt->into});
    if (!*from) return report(Error{Errc::data, "no request " + opt->from});
    if ((*into)->id == (*from)->id)
      return report(Error{Errc::data, opt->from + " is already " + (*into)->reference});
    const Clock& clock = *ctx.clock;
    std::int64_t now = clock.now();
    if (auto r = st.merge((*into)->id, (*from)->id, now); !r) return report(r.error());
    nlohmann::json detail{{"into", (*into)->reference}, {"from", opt->from}};
    std::string d = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (auto r = st.add_event((*into)->id, std::nullopt, now, opt->actor, "merged", d); !r) return report(r.error());
    if (auto r = st.add_event((*from)->id, std::nullopt, now, opt->actor, "merged", d); !r) return report(r.error());
    if (auto r = tx->commit(); !r) return report(r.error());
    std::cout << opt->from << " merged into " << (*into)->reference << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
