// guichet: the command line and the daemon. See README.md for the commands.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) try {
  using namespace guichet::cli;
  // Logs go to stderr: under systemd that is the journal; on the command line it stays out of
  // the way of --json on stdout.
  auto logger = spdlog::stderr_color_mt("guichet");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S%z %^%l%$ %v");

  CLI::App app{"guichet: one front desk for a town hall's email"};
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the subcommand too
  GlobalOptions g;
  app.add_option("-c,--config", g.config, "configuration file")->capture_default_str();
  app.add_option("--db", g.db, "database file (overrides the configuration)");
  app.add_option("--now", g.now, "act as if it were this time (ISO-8601, the commune's time zone by default)");
  app.add_flag("-v,--verbose", g.verbosity, "more logging (-vv for debug)");
  app.set_version_flag("--version", "guichet 0.1.0");

  CLI::App* rules = app.add_subcommand("rules", "Check the routing setup, or try it on one mail");
  rules->require_subcommand(1);
  CLI::App* outbox = app.add_subcommand("outbox", "Mail waiting to be sent, and mail that failed");
  CLI::App* deadlines = app.add_subcommand("deadlines", "Reminders, escalations, deemed decisions");
  deadlines->require_subcommand(1);
  CLI::App* web = app.add_subcommand("web", "Serve the web view: search, requests, the live view (behind a reverse proxy)");
  CLI::App* rgpd = app.add_subcommand("rgpd", "A person's data: export (RGPD article 15), erase (article 17)");
  rgpd->require_subcommand(1);
  CLI::App* mailbox = app.add_subcommand("mailbox", "Check a configured mailbox");
  mailbox->require_subcommand(1);
  CLI::App* smtp = app.add_subcommand("smtp", "Check the configured SMTP server");
  smtp->require_subcommand(1);
  std::vector<Command> commands = {add_parse(app), add_ingest(app),       add_list(app),
                                   add_show(app),  add_merge(app),        add_split(app), add_promote(app),
                                   add_rules_check(*rules), add_rules_test(*rules),
                                   // `outbox retry` and `outbox send` before `outbox`: the first parsed runs.
                                   add_outbox_retry(*outbox), add_outbox_send(*outbox), add_outbox(*outbox),
                                   add_serve(app), add_status(app), add_transfer(app), add_deadlines_run(*deadlines),
                                   add_digest(app), add_attestation(app), add_stats(app), add_search(app),
                                   // `web link` before `web`: the first parsed runs.
                                   add_web_link(*web), add_web(*web),
                                   add_backup(app), add_verify(app), add_restore(app),
                                   add_new(app), add_intake_address(app), add_rgpd_export(*rgpd),
                                   add_rgpd_erase(*rgpd), add_purge(app), add_mailbox_test(*mailbox),
                                   add_smtp_test(*smtp)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 answers 0 for --help and --version; anything else is a usage error (EX_USAGE).
    return rc == 0 ? 0 : 64;
  }
  spdlog::set_level(g.verbosity >= 2 ? spdlog::level::debug
                    : g.verbosity == 1 ? spdlog::level::info
                                       : spdlog::level::warn);
  for (auto& cmd : commands) {
    if (!cmd.app->parsed()) continue;
    try {
      auto ctx = open_context(g, cmd.needs);
      if (!ctx) return report(ctx.error());
      return cmd.run(*ctx);
    } catch (const std::exception& e) {
      // Our own invariant broke (EX_SOFTWARE); `ingest` maps this to EX_TEMPFAIL itself so that an
      // MTA keeps the mail.
      return report(guichet::Error{guichet::Errc::software, std::string("internal error: ") + e.what()});
    }
  }
  return 64;
}
catch (const std::exception& e) {
  std::cerr << "guichet: internal error: " << e.what() << "\n";
  return 70;
}
