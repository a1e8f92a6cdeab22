// guichet mailbox test NAME [--json]: reaches one configured mailbox as the daemon would (resolve,
// connect, TLS, login, the folders, the folder itself, read-only) and says what its first run
// would take, naming the step that fails with the server's own words. Nothing is fetched,
// flagged or moved, and the database is not opened: for the town's IT setting up a mailbox.
#include "commands.h"
#include "engine/connections.h"
#include "probe_report.h"
#include "util/strings.h"

namespace guichet::cli {

Command add_mailbox_test(CLI::App& mailbox) {
  struct Options {
    std::string name;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = mailbox.add_subcommand("test", "Reach a mailbox as the daemon would and say what its first run takes");
  c.app->add_option("name", opt->name, "the mailbox's name in the configuration")->required();
  c.app->add_flag("--json", opt->json, "print JSON (docs/json.md)");
  c.needs = Needs::config;
  c.run = [opt](Context& ctx) -> int {
    const config::Mailbox* mb = ctx.config.mailbox(opt->name);
    if (!mb) {
      std::string known;
      for (const auto& m : ctx.config.mailboxes) known += (known.empty() ? "" : ", ") + m.name;
      return report(
          Error{Errc::usage, "no mailbox \"" + opt->name + "\" in the configuration" +
                                 (known.empty() ? std::string(" (it has none)") : " (it has " + known + ")")});
    }
    const std::string maildir = "maildir://";
    if (istarts_with(mb->url, maildir))
      return report_probe(transport::probe_maildir(mb->url.substr(maildir.size()), mb->start), opt->json);
    auto settings = engine::imap_settings(*mb);
    if (!settings) return report(settings.error());
    return report_probe(transport::probe_imap(*settings, mb->start), opt->json);
  };
  return c;
}

}  // namespace guichet::cli
