// guichet intake-address AGENT [--mailbox NAME]: the address an agent writes to (or forwards a
// scanned letter to) to record a request received by phone, at the counter or by letter
// (README, "Recording a call, a visit or a letter"). It carries a reply token only guichet can
// make, naming the agent: kept in the agent's address book, it is theirs alone.
#include <iostream>

#include "commands.h"
#include "engine/intake.h"
#include "engine/token_key.h"

namespace guichet::cli {

Command add_intake_address(CLI::App& app) {
  struct Options {
    std::string agent, mailbox;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("intake-address", "The address an agent writes to to record a call, a visit or a letter");
  c.app->add_option("agent", opt->agent, "the agent (directory id or address)")->required();
  c.app->add_option("--mailbox", opt->mailbox, "the mailbox (default: the first configured)");
  c.needs = Needs::routing;
  c.run = [opt](Context& ctx) -> int {
    const directory::Agent* agent = ctx.setup->directory ? ctx.setup->directory->find_agent(opt->agent) : nullptr;
    if (!agent) return report(Error{Errc::data, "no agent " + opt->agent + " in the directory"});
    if (ctx.config.mailboxes.empty()) return report(Error{Errc::config, "no mailbox configured"});
    const std::string box = opt->mailbox.empty() ? ctx.config.mailboxes.front().name : opt->mailbox;
    if (!ctx.config.mailbox(box)) return report(Error{Errc::usage, "no mailbox " + box + " in the configuration"});
    auto options = engine::prepare_ingest(*ctx.store, *ctx.setup, box);
    if (!options) return report(options.error());
    if (!mail::valid_address(options->outgoing.mailbox_address))
      return report(Error{Errc::config, "mailbox " + box + " has no address: set its address in guichet.yaml"});
    std::cout << engine::intake_address(options->outgoing.mailbox_address, box, agent->id, *options) << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
