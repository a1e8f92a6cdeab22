// guichet status [--json]: how each configured mailbox is doing (last successful poll, last UID,
// messages waiting on the server, last error) and the outbox queue, with the last sending error
// when mail waits. Exit 0 when all is well, 75 when a mailbox is failing, a mail failed, or mail
// has waited past alert_after_minutes: usable as a monitoring check.
#include <ctime>
#include <iostream>

#include "commands.h"
#include "mail/date.h"
#include "store/mailbox_state.h"
#include "store/outbox.h"

namespace guichet::cli {

namespace {
nlohmann::ordered_json time_or_null(const std::optional<std::int64_t>& t) {
  return t ? nlohmann::ordered_json(mail::format_rfc3339(*t)) : nlohmann::ordered_json(nullptr);
}
}  // namespace

Command add_status(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  Command c;
  c.app = app.add_subcommand("status", "Health of each mailbox and of the outbox");
  c.app->add_flag("--json", *json, "print JSON (docs/json.md)");
  c.needs = Needs::store_read;
  c.run = [json](Context& ctx) -> int {
    store::MailboxStates states = ctx.store->mailboxes();
    store::Outbox box = ctx.store->outbox();
    nlohmann::ordered_json out;
    out["mailboxes"] = nlohmann::ordered_json::array();
    bool trouble = false;
    for (const auto& mb : ctx.config.mailboxes) {
      auto st = states.get(mb.name);
      if (!st) return report(st.error());
      store::MailboxState s;
      s.name = mb.name;
      if (*st) s = **st;
      nlohmann::ordered_json j;
      j["name"] = mb.name;
      j["url"] = mb.url;
      j["last_success_at"] = time_or_null(s.last_success_at);
      j["last_poll_at"] = time_or_null(s.last_poll_at);
      j["uidvalidity"] = s.uidvalidity ? nlohmann::ordered_json(*s.uidvalidity) : nullptr;
      j["last_uid"] = s.last_uid;
      j["waiting"] = s.waiting;
      j["failing_since"] = time_or_null(s.failing_since);
      j["last_error"] = s.last_error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.last_error);
      trouble = trouble || s.failing_since.has_value();
      out["mailboxes"].push_back(j);
    }
    nlohmann::ordered_json q;
    for (store::OutboxStatus status : store::kOutboxStatuses) {
      auto n = box.count(status);
      if (!n) return report(n.error());
      q[store::name(status)] = *n;
    }
    trouble = trouble || q["failed"].get<int>() > 0;
    auto deferred = box.deferred();
    if (!deferred) return report(deferred.error());
    if (deferred->count > 0) {
      q["deferred"] = {{"count", deferred->count},
                       {"since", time_or_null(deferred->since)},
                       {"last_error", deferred->last_error}};
      // One 451 retried within the minute is the normal life of mail; mail still waiting after
      // alert_after_minutes is someone's to mend.
      trouble = trouble || std::time(nullptr) - deferred->since >= 60LL * ctx.config.alert_after_minutes;
    } else {
      q["deferred"] = nullptr;
    }
    out["outbox"] = q;
    if (*json) {
      print_json(out);
    } else {
      for (const auto& j : out["mailboxes"]) {
        std::cout << j["name"].get<std::string>() << " (" << j["url"].get<std::string>() << ")\n"
                  << "  last successful poll: "
                  << (j["last_success_at"].is_null() ? std::string("never") : j["last_success_at"].get<std::string>())
                  << "\n  last UID: " << j["last_uid"] << ", waiting on the server: " << j["waiting"] << "\n";
        if (!j["failing_since"].is_null())
          std::cout << "  FAILING since " << j["failing_since"].get<std::string>() << ": "
                    << j["last_error"].get<std::string>() << "\n";
      }
      std::cout << "outbox: " << q["queued"] << " queued, " << q["failed"] << " failed, " << q["sent"] << " sent, "
                << q["bounced"] << " bounced\n";
      if (!q["deferred"].is_null())
        std::cout << "  SENDING DEFERRED: " << q["deferred"]["count"] << " mail(s) waiting since "
                  << q["deferred"]["since"].get<std::string>()
                  << "; the last attempt: " << q["deferred"]["last_error"].get<std::string>() << "\n";
    }
    return trouble ? static_cast<int>(Errc::temp_fail) : 0;
  };
  return c;
}

}  // namespace guichet::cli
