// guichet web link ADDRESS: prints a one-time login link to the web view for a person the
// directory knows (an agent, a head, the pilot, an élu), as the login page would mail it. For the
// admin helping someone whose mail does not arrive, and for the demo. Whoever can run it can read
// the database anyway; the link works once, for web.link_minutes.
#include <iostream>

#include "commands.h"
#include "store/store.h"
#include "util/strings.h"
#include "web/links.h"
#include "web/people.h"

namespace guichet::cli {

Command add_web_link(CLI::App& web) {
  auto address = std::make_shared<std::string>();
  Command c;
  c.app = web.add_subcommand("link", "Print a one-time login link for someone the directory knows");
  c.app->add_option("address", *address, "their address (an agent's, an élu's)")->required();
  c.needs = Needs::config;
  c.run = [address](Context& ctx) -> int {
    if (!ctx.setup->directory) return report(Error{Errc::config, "no directory configured: nobody can log in"});
    const std::string who = to_lower(std::string(trim(*address)));
    auto person = web::person_for(*ctx.setup->directory, who);
    if (!person) return report(Error{Errc::data, who + ": not in the directory (agents, heads, élus): no access"});
    auto st = store::Store::open(ctx.config.database);
    if (!st) return report(st.error());
    auto link = web::new_login_link(*st, ctx.setup->config.web, who, ctx.clock->now());
    if (!link) return report(link.error());
    std::cout << *link << "\n";
    std::cerr << "guichet: for " << person->name << " (" << who << "), once, within " << ctx.setup->config.web.link_minutes
              << " minutes\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
