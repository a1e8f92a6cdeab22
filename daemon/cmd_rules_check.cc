// guichet rules check: validates the configuration, the directory, the rules and the templates
// together, the way the daemon loads them. Exit 0 when all is well, 78 with every problem as
// "file:line:column: message" otherwise (open_context reports them).
#include <iostream>

#include "commands.h"

namespace guichet::cli {

Command add_rules_check(CLI::App& rules) {
  Command c;
  c.app = rules.add_subcommand("check", "Check the configuration, directory, rules and templates (exit 78 on error)");
  c.needs = Needs::config;
  c.run = [](Context& ctx) -> int {
    const engine::Setup& s = *ctx.setup;
    std::cout << (s.config.file.empty() ? std::string("built-in defaults") : s.config.file) << ": ok\n";
    if (s.directory) {
      std::cout << "  directory " << s.config.directory << ": " << s.directory->departments().size() << " departments, "
                << s.directory->agents().size() << " agents\n";
    } else {
      std::cout << "  no directory (key \"directory\"): requests get no department unless a mailbox names one\n";
    }
    if (s.rules) {
      std::cout << "  rules " << s.config.rules << ": " << s.rules->rules().size() << " rules\n";
    } else {
      std::cout << "  no rules (key \"rules\"): every request goes to its mailbox's department\n";
    }
    std::cout << "  templates " << (s.config.templates.empty() ? std::string("built-in") : s.config.templates) << ": "
              << s.templates.names().size() << " templates\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
