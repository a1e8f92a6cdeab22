// guichet show REF [--json] [--raw N]: one request with its messages, sources and audit trail;
// --raw N prints the Nth message exactly as it was received.
#include <iostream>

#include "commands.h"
#include "util/local_time.h"
#include "request_json.h"

namespace guichet::cli {

Command add_show(CLI::App& app) {
  struct Options {
    std::string reference;
    bool json = false;
    int raw = 0;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("show", "Show one request: its messages, attachments and history");
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
    if (opt->json) {
      print_json(request_detail_json(r));
      return 0;
    }
    std::cout << r.reference << "  " << (r.subject.empty() ? "(sans objet)" : r.subject) << "\n"
              << "Status:     " << store::name(r.status) << "\n"
              << "Received:   " << format_local(r.received_at) << "\n"
              << "Requester:  " << (r.requester.name.empty() ? "" : r.requester.name + " ") << "<"
              << r.requester.address << ">\n"
              << "Department: " << r.department.value_or("-") << "\n"
              << "Agent:      " << r.agent.value_or("-") << "\n";
    if (r.silence != "none" && r.deemed_decision_on)
      std::cout << "Silence:    " << (r.silence == "acceptance" ? "acceptance" : "rejection") << " after "
                << r.delay.value_or("?") << ", on " << *r.deemed_decision_on << "\n";
    if (r.relances > 0) std::cout << "Relances:   " << r.relances << "\n";
    if (r.linked_to) std::cout << "Linked to:  " << *r.linked_to << "\n";
    if (r.merged_into) std::cout << "Merged into: " << *r.merged_into << "\n";
    for (size_t i = 0; i < r.messages.size(); ++i) {
      const auto& m = r.messages[i];
      std::cout << "\n--- message " << i + 1 << " (" << m.matched_by << ")  " << format_local(m.received_at) << "  "
                << m.from.address << "\n";
      for (const auto& a : m.attachments)
        std::cout << "    attachment: " << (a.filename.empty() ? "(unnamed)" : a.filename) << " (" << a.content_type
                  << ", " << a.size << " bytes)\n";
      if (m.problems_json != "[]") std::cout << "    problems: " << m.problems_json << "\n";
      if (m.sources.size() > 1) std::cout << "    seen " << m.sources.size() << " times\n";
      std::cout << "\n" << m.text << "\n";
    }
    std::cout << "\nHistory:\n";
    for (const auto& e : r.events)
      std::cout << "  " << format_local(e.at) << "  " << e.actor << "  " << e.kind << "  " << e.detail_json << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
