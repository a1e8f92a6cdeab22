// guichet outbox send: drains the queue once (what is due now) through the configured smtp
// sender, and says what happened. The daemon does the same continuously.
#include <iostream>

#include "commands.h"
#include "engine/connections.h"
#include "engine/outbox.h"
#include "util/clock.h"

namespace guichet::cli {

Command add_outbox_send(CLI::App& outbox) {
  Command c;
  c.app = outbox.add_subcommand("send", "Send what is due now, once");
  c.needs = Needs::store_write;
  c.run = [](Context& ctx) -> int {
    if (!ctx.config.smtp) return report(Error{Errc::config, "no smtp section in the configuration"});
    auto sender = engine::make_sender(*ctx.config.smtp);
    if (!sender) return report(sender.error());
    const Clock& clock = *ctx.clock;
    auto stats = engine::drain(*ctx.store, **sender, clock, engine::drain_options(*ctx.setup), 100000);
    if (!stats) return report(stats.error());
    auto queued = ctx.store->outbox().count(store::OutboxStatus::queued);
    std::cout << stats->sent << " sent, " << stats->retried << " deferred, " << stats->failed << " failed";
    if (queued) std::cout << "; " << *queued << " waiting";
    std::cout << "\n";
    // Deferred mail is not an error of this command: it stays queued. Report it for scripts.
    return stats->retried > 0 ? static_cast<int>(Errc::temp_fail) : 0;
  };
  return c;
}

}  // namespace guichet::cli
