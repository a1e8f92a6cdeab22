// guichet transfer REF DEPARTMENT [--agent ID] [--actor WHO]: moves a request to the competent
// service, as the agent's "Service :" command does (engine/actions.h): department, agent (the one
// given, else as the rules assign it), clocks (L114-3), the history, the notice to the resident
// from the new service (L114-2) and to the new agent. For the admin, who may move any request.
#include <iostream>

#include "actor.h"
#include "commands.h"
#include "engine/actions.h"
#include "engine/token_key.h"
#include "util/clock.h"

namespace guichet::cli {

Command add_transfer(CLI::App& app) {
  struct Options {
    std::string reference, department, agent;
    std::string actor = default_actor();
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("transfer", "Move a request to another department (the resident is told)");
  c.app->add_option("reference", opt->reference, "the request, e.g. 2026-000042")->required();
  c.app->add_option("department", opt->department, "the department's id or name")->required();
  c.app->add_option("--agent", opt->agent, "the agent in charge (default: as the rules assign it)");
  c.app->add_option("--actor", opt->actor, "who does it, for the history")->capture_default_str();
  c.needs = Needs::routing;
  c.run = [opt](Context& ctx) -> int {
    if (!ctx.setup->directory) return report(Error{Errc::config, "transfer needs a directory (the \"directory\" key)"});
    store::Store& st = *ctx.store;
    auto options = engine::prepare_ingest(st, *ctx.setup, "");
    if (!options) return report(options.error());
    auto r = st.request_summary(opt->reference);
    if (!r) return report(r.error());
    if (!*r) return report(Error{Errc::data, "no request " + opt->reference});
    std::vector<engine::Command> commands;
    engine::Command service;
    service.key = engine::CommandKey::service;
    service.written = "Service";
    service.value = opt->department;
    commands.push_back(service);
    if (!opt->agent.empty()) {
      engine::Command agent = service;
      agent.key = engine::CommandKey::agent;
      agent.written = "Agent";
      agent.value = opt->agent;
      commands.push_back(agent);
    }
    auto tx = st.transaction();
    if (!tx) return report(tx.error());
    engine::Actor actor{nullptr, "admin:" + opt->actor, true};
    auto results = engine::apply_commands(st, commands, **r, actor, *options, std::nullopt, ctx.clock->now());
    if (!results) return report(results.error());
    for (const auto& res : *results) {
      if (!res.ok) return report(Error{Errc::data, res.written + " : " + res.value + " — " + res.text});
    }
    if (auto c2 = tx->commit(); !c2) return report(c2.error());
    for (const auto& res : *results) std::cout << (*r)->reference << ": " << res.text << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
