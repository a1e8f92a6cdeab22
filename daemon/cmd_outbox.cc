// guichet outbox [--json] [--all]: mail waiting to be sent, and mail that failed, with its last
// error. `outbox retry ID` and `outbox send` live in their own files.
#include <iostream>

#include "commands.h"
#include "mail/date.h"
#include "store/outbox.h"

namespace guichet::cli {

nlohmann::ordered_json outbox_json(const store::OutboxMail& m) {
  nlohmann::ordered_json j;
  j["id"] = m.id;
  j["reference"] = m.reference.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.reference);
  j["kind"] = store::name(m.kind);
  j["to"] = m.recipient;
  j["from"] = m.envelope_from;
  j["status"] = store::name(m.status);
  j["attempts"] = m.attempts;
  j["created_at"] = mail::format_rfc3339(m.created_at);
  j["next_attempt_at"] =
      m.status == store::OutboxStatus::queued ? nlohmann::ordered_json(mail::format_rfc3339(m.next_attempt_at)) : nullptr;
  j["sent_at"] = m.sent_at ? nlohmann::ordered_json(mail::format_rfc3339(*m.sent_at)) : nullptr;
  j["last_error"] = m.last_error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.last_error);
  j["message_id"] = m.message_id;
  return j;
}

Command add_outbox(CLI::App& outbox) {
  struct Options {
    bool json = false, all = false;
    int limit = 0;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = &outbox;
  outbox.add_flag("--json", opt->json, "print JSON (docs/json.md)");
  outbox.add_flag("--all", opt->all, "also mail already sent or bounced");
  outbox.add_option("--limit", opt->limit, "at most N rows");
  c.needs = Needs::store_read;
  c.run = [opt](Context& ctx) -> int {
    std::vector<store::OutboxStatus> statuses;
    if (!opt->all) statuses = {store::OutboxStatus::queued, store::OutboxStatus::held, store::OutboxStatus::failed};
    auto rows = ctx.store->outbox().list(statuses, opt->limit);
    if (!rows) return report(rows.error());
    if (opt->json) {
      auto j = nlohmann::ordered_json::array();
      for (const auto& m : *rows) j.push_back(outbox_json(m));
      print_json(j);
      return 0;
    }
    if (rows->empty()) std::cout << (opt->all ? "the outbox is empty\n" : "nothing waiting, nothing failed\n");
    for (const auto& m : *rows) {
      std::cout << m.id << "  " << store::name(m.status) << "  " << store::name(m.kind) << "  " << (m.reference.empty() ? "-" : m.reference)
                << "  " << m.recipient << "  attempts " << m.attempts;
      if (m.status == store::OutboxStatus::queued) std::cout << "  next " << mail::format_rfc3339(m.next_attempt_at);
      if (!m.last_error.empty()) std::cout << "\n      last error: " << m.last_error;
      std::cout << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
