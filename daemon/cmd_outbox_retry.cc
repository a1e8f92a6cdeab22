// guichet outbox retry ID: puts a failed (or bounced) mail back in the queue, due now, with a
// fresh retry horizon; audited on its request.
#include <iostream>

#include "actor.h"
#include "commands.h"
#include "store/outbox.h"
#include "util/clock.h"

namespace guichet::cli {

Command add_outbox_retry(CLI::App& outbox) {
  struct Options {
    std::int64_t id = 0;
    std::string actor = default_actor();
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = outbox.add_subcommand("retry", "Queue a failed mail again");
  c.app->add_option("id", opt->id, "the outbox id (guichet outbox)")->required();
  c.app->add_option("--actor", opt->actor, "who does it, for the audit trail")->capture_default_str();
  c.needs = Needs::store_write;
  c.run = [opt](Context& ctx) -> int {
    store::Store& st = *ctx.store;
    auto tx = st.transaction();
    if (!tx) return report(tx.error());
    store::Outbox box = st.outbox();
    auto row = box.get(opt->id);
    if (!row) return report(row.error());
    if (!*row) return report(Error{Errc::data, "no outbox mail " + std::to_string(opt->id)});
    if ((*row)->status == store::OutboxStatus::sent)
      return report(Error{Errc::data, "mail " + std::to_string(opt->id) + " was sent already"});
    const Clock& clock = *ctx.clock;
    const std::int64_t now = clock.now();
    const int hours = ctx.config.smtp ? ctx.config.smtp->retry_hours : defaults::retry_hours;
    auto done = box.requeue(opt->id, now, now + static_cast<std::int64_t>(hours) * 3600);
    if (!done) return report(done.error());
    if ((*row)->request_id) {
      nlohmann::json d{{"outbox", opt->id}, {"was", store::name((*row)->status)}};
      if (auto r = st.add_event((*row)->request_id, std::nullopt, now, opt->actor, "mail_requeued", d.dump()); !r)
        return report(r.error());
    }
    if (auto r = tx->commit(); !r) return report(r.error());
    std::cout << "mail " << opt->id << " to " << (*row)->recipient << " queued again\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
