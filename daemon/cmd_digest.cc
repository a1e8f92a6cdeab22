// guichet digest [--to ADDRESS] [--print] [--now T]: the daily digests (engine/deadlines.h).
// --print shows them (all, or the one of ADDRESS) without sending; without it, today's digests
// not sent yet are queued, as the daemon does at `digest_at`.
#include <iostream>

#include "commands.h"
#include "engine/deadlines.h"
#include "engine/token_key.h"
#include "util/strings.h"

namespace guichet::cli {

Command add_digest(CLI::App& app) {
  struct Options {
    std::string to;
    bool print = false;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("digest", "The daily digest: print it, or send today's");
  c.app->add_option("--to", opt->to, "only the digest of this address (a head, the pilot, an élu)");
  c.app->add_flag("--print", opt->print, "print, send nothing");
  c.needs = Needs::routing;
  c.run = [opt](Context& ctx) -> int {
    auto options = engine::prepare_ingest(*ctx.store, *ctx.setup, "", !opt->print);
    if (!options) return report(options.error());
    const std::int64_t now = ctx.clock->now();
    if (opt->print) {
      auto digests = engine::compose_digests(
          *ctx.store, *options, ctx.config.deadlines, now,
          [&](const engine::Recipient& to) { return opt->to.empty() || iequals(to.address, opt->to); });
      if (!digests) return report(digests.error());
      int shown = 0;
      for (const auto& d : *digests) {
        if (!opt->to.empty() && !iequals(d.to.address, opt->to)) continue;
        std::cout << "To: " << (d.to.name.empty() ? "" : d.to.name + " ") << "<" << d.to.address << ">\n\n" << d.text << "\n";
        ++shown;
      }
      if (shown == 0) return report(Error{Errc::data, opt->to.empty() ? "no digest: nobody receives one (no head, pilot or élu)"
                                                                       : "no digest for " + opt->to});
      return 0;
    }
    auto run = engine::send_digests(*ctx.store, *options, ctx.config.deadlines, now, false);
    if (!run) return report(run.error());
    for (const auto& l : run->lines) std::cout << l << "\n";
    std::cout << run->digests << " digest(s) queued\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
