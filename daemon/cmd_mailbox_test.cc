// guichet mailbox test NAME [--json]: reaches one configured mailbox as the daemon would (resolve,
// connect, TLS, login, the folders, the folder itself, read-only) and says what its first run
// would take, naming the step that fails with the server's own words. Nothing is fetched,
// flagged or moved, and the database is only read: for the town's IT setting up a mailbox.
#include <filesystem>

#include "commands.h"
#include "engine/connections.h"
#include "probe_report.h"
#include "store/store.h"
#include "util/strings.h"

namespace guichet::cli {

namespace {

// A mailbox that has run before takes what came after its last UID, whatever `start:` says: the
// last step says that instead, from the database when there is one (read-only, never created).
void after_last_run(std::vector<transport::ProbeStep>& steps, const std::string& database, const std::string& name) {
  if (steps.empty() || steps.back().step != "first run" || !steps.back().ok) return;
  std::error_code ec;
  if (!std::filesystem::exists(database, ec)) return;
  auto st = store::Store::open(database, store::Database::Mode::read_only);
  if (!st) return;  // an older schema, a locked file: the first run's answer stands
  auto state = st->mailboxes().get(name);
  if (!state || !*state || !(*state)->uidvalidity) return;
  steps.back() = {"next run", true,
                  "it has run before (UIDVALIDITY " + std::to_string(*(*state)->uidvalidity) + ", last UID " +
                      std::to_string((*state)->last_uid) +
                      " taken): the next run takes what came after it; start: is for a first run only"};
}

}  // namespace

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
    auto steps = transport::probe_imap(*settings, mb->start);
    after_last_run(steps, ctx.config.database, mb->name);
    return report_probe(steps, opt->json);
  };
  return c;
}

}  // namespace guichet::cli
