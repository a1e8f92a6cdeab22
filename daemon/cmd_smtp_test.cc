// guichet smtp test [--json]: reaches the configured SMTP server as the outbox would (resolve,
// connect, TLS, login) and quits without sending, naming the step that fails with the server's
// own words.
#include "commands.h"
#include "engine/connections.h"
#include "probe_report.h"
#include "util/strings.h"

namespace guichet::cli {

Command add_smtp_test(CLI::App& smtp) {
  auto json = std::make_shared<bool>(false);
  Command c;
  c.app = smtp.add_subcommand("test", "Reach the SMTP server as the outbox would, and send nothing");
  c.app->add_flag("--json", *json, "print JSON (docs/json.md)");
  c.needs = Needs::config;
  c.run = [json](Context& ctx) -> int {
    if (!ctx.config.smtp) return report(Error{Errc::config, "no smtp: in the configuration: nothing is ever sent"});
    const std::string maildir = "maildir://";
    if (istarts_with(ctx.config.smtp->url, maildir))
      return report_probe(transport::probe_maildir(ctx.config.smtp->url.substr(maildir.size()), "all"), *json);
    auto settings = engine::smtp_settings(*ctx.config.smtp);
    if (!settings) return report(settings.error());
    return report_probe(transport::probe_smtp(*settings), *json);
  };
  return c;
}

}  // namespace guichet::cli
