// guichet show REF [--json] [--raw N]: one request with its messages, sources, answers, the mail
// sent about it and its history (commands applied, notes, transfers, clocks after each);
// --raw N prints the Nth message exactly as it was received.
#include <iostream>

#include "commands.h"
#include "request_json.h"
#include "util/local_time.h"

namespace guichet::cli {

namespace {

const char* role_label(const std::string& role) {
  if (role == "answer") return "answer from an agent";
  if (role == "note") return "internal note";
  if (role == "command") return "commands";
  if (role == "refused") return "REFUSED (not authenticated, never relayed)";
  if (role == "machine") return "machine mail";
  return "";
}

void print_text(const store::RequestInfo& r, const std::vector<store::OutboxMail>& mail) {
  std::cout << r.reference << "  " << (r.subject.empty() ? "(sans objet)" : r.subject) << "\n"
            << "Status:     " << store::name(r.status) << (r.kind == "machine" ? " (machine mail, kept apart)" : "")
            << "\n"
            << "Received:   " << format_local(r.received_at) << (r.channel == "email" ? "" : " (" + r.channel + ")")
            << "\n"
            << "Requester:  " << (r.requester.name.empty() ? "" : r.requester.name + " ") << "<" << r.requester.address
            << ">\n"
            << "Department: " << r.department.value_or("-") << "\n"
            << "Agent:      " << r.agent.value_or("-") << "\n";
  if (r.purged_at)
    std::cout << "Purged:     " << format_local(*r.purged_at)
              << " (personal data removed: an anonymous tombstone, see the history)\n";
  if (r.silence != "none")
    std::cout << "Silence:    " << r.silence << " after " << r.delay.value_or("?") << ", on "
              << r.deemed_decision_on.value_or(r.suspended_since ? "(suspended: pieces missing)" : "?") << "\n";
  if (!r.missing.empty()) {
    std::cout << "Missing:    ";
    for (size_t i = 0; i < r.missing.size(); ++i) std::cout << (i ? "; " : "") << r.missing[i];
    std::cout << " (before " << r.missing_deadline.value_or("?") << ")\n";
  }
  if (r.response_due_on) std::cout << "Answer due: " << *r.response_due_on << "\n";
  if (r.relances > 0) std::cout << "Relances:   " << r.relances << "\n";
  if (r.linked_to) std::cout << "Linked to:  " << *r.linked_to << "\n";
  if (r.merged_into) std::cout << "Merged into: " << *r.merged_into << "\n";
  if (!r.answers.empty()) {
    std::cout << "\nAnswers:\n";
    for (const auto& a : r.answers)
      std::cout << "  " << format_local(a.at) << "  " << a.agent.value_or(a.agent_address) << "  " << a.how
                << "  (version " << a.version << ")\n";
  }
  for (size_t i = 0; i < r.messages.size(); ++i) {
    const auto& m = r.messages[i];
    std::cout << "\n--- message " << i + 1 << " (" << m.matched_by << ")  " << format_local(m.received_at) << "  "
              << m.from.address;
    if (const char* role = role_label(m.role); *role) std::cout << "  [" << role << "]";
    std::cout << "\n";
    for (const auto& a : m.attachments)
      std::cout << "    attachment: " << (a.filename.empty() ? "(unnamed)" : a.filename) << " (" << a.content_type
                << ", " << a.size << " bytes)\n";
    if (m.problems_json != "[]") std::cout << "    problems: " << m.problems_json << "\n";
    if (m.sources.size() > 1) std::cout << "    seen " << m.sources.size() << " times\n";
    std::cout << "\n" << m.text << "\n";
  }
  if (!mail.empty()) {
    std::cout << "\nMail sent about it:\n";
    for (const auto& o : mail)
      std::cout << "  " << format_local(o.created_at) << "  " << store::name(o.kind) << " to " << o.recipient << "  "
                << store::name(o.status) << (o.last_error.empty() ? "" : ": " + o.last_error) << "\n";
  }
  std::cout << "\nHistory:\n";
  for (const auto& e : r.events)
    std::cout << "  " << format_local(e.at) << "  " << e.actor << "  " << e.kind << "  " << e.detail_json << "\n";
}

}  // namespace

Command add_show(CLI::App& app) {
  struct Options {
    std::string reference;
    bool json = false;
    int raw = 0;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("show", "Show one request: its messages, answers, attachments and history");
  c.app->add_option("reference", opt->reference, "the request reference, e.g. 2026-000042")->required();
  c.app->add_flag("--json", opt->json, "print JSON (docs/json.md)");
  c.app->add_option("--raw", opt->raw, "print message N (1 = first) byte for byte as received")
      ->check(CLI::PositiveNumber);
  c.needs = Needs::store_read;
  c.run = [opt](Context& ctx) -> int {
    auto found = ctx.store->request(opt->reference);
    if (!found) return report(found.error());
    if (!*found) return report(Error{Errc::data, "no request " + opt->reference});
    const store::RequestInfo& r = **found;
    if (opt->raw > 0) {
      if (static_cast<size_t>(opt->raw) > r.messages.size())
        return report(Error{Errc::usage, "request " + r.reference + " has " + std::to_string(r.messages.size()) +
                                             " message(s)"});
      auto raw = ctx.store->raw(r.messages[static_cast<size_t>(opt->raw) - 1].id);
      if (!raw) return report(raw.error());
      std::cout.write(raw->data(), static_cast<std::streamsize>(raw->size()));
      return 0;
    }
    auto mail = ctx.store->outbox().for_request(r.id);
    if (!mail) return report(mail.error());
    if (opt->json) {
      auto j = request_detail_json(r);
      auto out = nlohmann::ordered_json::array();
      for (const auto& o : *mail) out.push_back(outbox_summary_json(o));
      j["mail"] = out;
      print_json(j);
      return 0;
    }
    print_text(r, *mail);
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
