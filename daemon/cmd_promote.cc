// guichet promote REF: machine mail kept apart (`list --machine`, references M2026-…) was a
// request after all. It gets a request's reference, is routed by the rules, acknowledged (unless
// its sender cannot be answered) and its agent told, all in one transaction (engine/promote.h).
#include <iostream>

#include "actor.h"
#include "commands.h"
#include "engine/promote.h"
#include "engine/token_key.h"
#include "util/clock.h"

namespace guichet::cli {

Command add_promote(CLI::App& app) {
  struct Options {
    std::string reference, actor = default_actor();
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("promote", "Make machine mail kept apart (list --machine) a request after all (audited)");
  c.app->add_option("reference", opt->reference, "the machine mail, e.g. M2026-000012")->required();
  c.app->add_option("--actor", opt->actor, "who decides it, for the history")->capture_default_str();
  c.needs = Needs::routing;
  c.run = [opt](Context& ctx) -> int {
    store::Store& st = *ctx.store;
    auto tx = st.transaction();
    if (!tx) return report(tx.error());
    auto found = st.request(opt->reference);
    if (!found) return report(found.error());
    if (!*found) return report(Error{Errc::data, "no machine mail " + opt->reference});
    const store::RequestInfo& r = **found;
    auto options = engine::prepare_ingest(st, *ctx.setup, r.mailbox);
    if (!options) return report(options.error());
    auto promoted = engine::promote(st, r, *options, opt->actor, ctx.clock->now());
    if (!promoted) return report(promoted.error());
    if (auto e = tx->commit(); !e) return report(e.error());
    std::cout << r.reference << " is now request " << promoted->reference << " ("
              << (promoted->department.empty() ? "no department" : promoted->department)
              << (promoted->agent.empty() ? "" : ", " + promoted->agent) << ")\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
