// guichet deadlines run [--dry-run] [--now T]: what the daemon's deadline scanner does, once: every
// reminder, escalation, deemed-decision alert and implicit decision owed now and not written yet,
// each with its mail, and today's digests when their hour has come. For cron, for tests, and for
// "what would happen on 15 January?" (--now 2027-01-15 --dry-run).
#include <iostream>

#include "commands.h"
#include "engine/deadlines.h"
#include "engine/token_key.h"

namespace guichet::cli {

Command add_deadlines_run(CLI::App& deadlines) {
  auto dry_run = std::make_shared<bool>(false);
  Command c;
  c.app = deadlines.add_subcommand("run", "Send what is owed now: reminders, escalations, decisions, digests");
  c.app->add_flag("--dry-run", *dry_run, "say what would be sent, write nothing");
  c.needs = Needs::routing;
  c.run = [dry_run](Context& ctx) -> int {
    auto options = engine::prepare_ingest(*ctx.store, *ctx.setup, "", !*dry_run);
    if (!options) return report(options.error());
    const std::int64_t now = ctx.clock->now();
    auto run = engine::run_deadlines(*ctx.store, *options, now, *dry_run);
    if (!run) return report(run.error());
    auto digests = engine::send_digests(*ctx.store, *options, ctx.config.deadlines, now, *dry_run);
    if (!digests) return report(digests.error());
    for (const auto& l : run->lines) std::cout << l << "\n";
    for (const auto& l : digests->lines) std::cout << l << "\n";
    std::cout << (*dry_run ? "dry run: " : "") << run->reminders << " reminder(s), " << run->decisions
              << " implicit decision(s), " << digests->digests << " digest(s)"
              << (*dry_run ? "" : ", " + std::to_string(run->mails + digests->digests) + " mail(s) queued") << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
