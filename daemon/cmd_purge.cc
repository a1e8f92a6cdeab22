// guichet purge [--dry-run] [--json] [--limit N] [--actor WHO]: what is past the retention of
// `retention:` (README, "Retention and RGPD") becomes an anonymous tombstone — the reference,
// dates, department, agent, status and the figures' events stay; mail bytes, attachments, names,
// addresses, subjects and texts go. One request per transaction: a purge that is killed leaves no
// request half-deleted, and the next run finishes. `serve` runs the same once a day.
#include <iostream>

#include "actor.h"
#include "commands.h"
#include "engine/retention.h"
#include "mail/date.h"
#include "util/local_time.h"

namespace guichet::cli {

Command add_purge(CLI::App& app) {
  struct Options {
    bool dry_run = false, json = false;
    std::size_t limit = 0;
    std::string actor = default_actor();
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("purge", "Remove the personal data of what is past retention (anonymous tombstones)");
  c.app->add_flag("--dry-run", opt->dry_run, "say what would be purged, change nothing");
  c.app->add_flag("--json", opt->json, "machine-readable output (docs/json.md)");
  c.app->add_option("--limit", opt->limit, "at most this many requests (0: all)");
  c.app->add_option("--actor", opt->actor, "who purges, for the history")->capture_default_str();
  c.needs = Needs::store_write;
  c.run = [opt](Context& ctx) -> int {
    const auto policy = engine::RetentionPolicy::of(ctx.config, ctx.setup->region);
    if (!policy.any())
      return report(Error{Errc::config, (ctx.config.file.empty() ? std::string("the configuration") : ctx.config.file) +
                                            ": no retention: is set, nothing is ever purged (README, \"Retention "
                                            "and RGPD\")"});
    auto run = engine::run_purge(*ctx.store, policy, ctx.clock->now(), "admin:" + opt->actor, opt->dry_run, opt->limit);
    if (!run) return report(run.error());
    if (opt->json) {
      nlohmann::ordered_json j;
      j["dry_run"] = opt->dry_run;
      j["finished"] = run->finished;
      j["closed"] =
          policy.closed_text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(policy.closed_text);
      j["machine"] =
          policy.machine_text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(policy.machine_text);
      auto items = nlohmann::ordered_json::array();
      for (const auto& i : run->items)
        items.push_back(
            {{"reference", i.reference}, {"kind", i.kind}, {"since", mail::format_rfc3339(i.since)}, {"rule", i.rule}});
      j["requests"] = items;
      j["removed"] = {{"messages", run->total.messages},
                      {"bytes", run->total.bytes},
                      {"attachments", run->total.attachments},
                      {"blobs", run->total.blobs},
                      {"outbox", run->total.outbox}};
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    for (const auto& i : run->items)
      std::cout << (opt->dry_run ? "would purge " : "purged ") << i.reference << "  "
                << (i.kind == "machine" ? "received " : "closed ") << format_local(i.since) << "  (" << i.rule << ")\n";
    if (opt->dry_run)
      std::cout << run->items.size() << " request(s) past retention; nothing was changed\n";
    else
      std::cout << run->items.size() << " request(s) purged: " << run->total.messages << " mail(s), "
                << run->total.bytes << " bytes, " << run->total.attachments << " attachment(s) removed"
                << (run->finished ? "" : "; more is due: run it again") << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
