// guichet rgpd erase REF --reason TEXT [--even-open] [--actor WHO]: a justified erasure (RGPD
// article 17) of one request, whatever its age: the same anonymous tombstone as a purge, at once,
// recorded in its history with the reason (write the legal ground, not the person's name). An open
// request is refused unless --even-open: its deadlines go with it.
#include <iostream>

#include "actor.h"
#include "commands.h"
#include "engine/retention.h"

namespace guichet::cli {

Command add_rgpd_erase(CLI::App& rgpd) {
  struct Options {
    std::string reference, reason, actor = default_actor();
    bool even_open = false;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = rgpd.add_subcommand("erase", "Erase one request's personal data now, with a justification (audited)");
  c.app->add_option("reference", opt->reference, "the request, 2026-000042")->required();
  c.app->add_option("--reason", opt->reason, "why (the legal ground, for the history)")->required();
  c.app->add_flag("--even-open", opt->even_open, "erase a request that is not closed");
  c.app->add_option("--actor", opt->actor, "who erases, for the history")->capture_default_str();
  c.needs = Needs::store_write;
  c.run = [opt](Context& ctx) -> int {
    if (opt->reason.find_first_not_of(" \t") == std::string::npos)
      return report(Error{Errc::usage, "--reason must say why: the erasure is recorded with it"});
    auto r = ctx.store->request_summary(opt->reference, false);
    if (!r) return report(r.error());
    if (!*r) return report(Error{Errc::data, "no request " + opt->reference});
    auto done =
        engine::erase_request(*ctx.store, **r, opt->reason, "admin:" + opt->actor, opt->even_open, ctx.clock->now());
    if (!done) return report(done.error());
    std::cout << "erased " << (*r)->reference << ": " << done->messages << " mail(s), " << done->bytes << " bytes, "
              << done->attachments << " attachment(s) removed; the reference, dates and figures remain\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
