// guichet search QUERY [--json] [--status S] [--department D] [--limit N] [--rank]: the requests
// a name, an address, a word of a subject or a message, an attachment's name or a reference point
// to (store/search.h), the last active first (or the best match first with --rank).
#include <iostream>

#include "commands.h"
#include "mail/date.h"
#include "request_json.h"
#include "util/local_time.h"

namespace guichet::cli {

Command add_search(CLI::App& app) {
  struct Options {
    std::vector<std::string> words;
    bool json = false, rank = false;
    std::string status, department;
    int limit = 20;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("search", "Find requests by name, address, word, attachment or reference");
  c.app->add_option("query", opt->words, "what to look for: \"seccotine sophie\", \"2026-42\"…")->required();
  c.app->add_flag("--json", opt->json, "print JSON (docs/json.md)");
  c.app->add_option("--status", opt->status, "only requests in this status")->check([](const std::string& s) {
    return store::parse_request_status(s) ? std::string() : "unknown status \"" + s + "\"";
  });
  c.app->add_option("--department", opt->department, "only this department's requests");
  c.app->add_option("--limit", opt->limit, "at most this many (default 20)")->check(CLI::Range(1, 1000));
  c.app->add_flag("--rank", opt->rank, "best match first (default: the last active first)");
  c.needs = Needs::store_read;
  c.run = [opt](Context& ctx) -> int {
    store::SearchQuery q;
    for (const auto& w : opt->words) q.text += (q.text.empty() ? "" : " ") + w;
    if (!opt->status.empty()) q.status = store::parse_request_status(opt->status);
    if (!opt->department.empty()) q.department = opt->department;
    q.limit = opt->limit;
    q.by_rank = opt->rank;
    auto found = ctx.store->search(q);
    if (!found) return report(found.error());
    if (opt->json) {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& r : *found) {
        auto j = request_summary_json(r);
        j["last_activity_at"] = mail::format_rfc3339(r.last_message_at.value_or(r.received_at));
        arr.push_back(std::move(j));
      }
      print_json(arr);
      return 0;
    }
    if (found->empty()) {
      std::cout << "nothing found for \"" << q.text << "\"\n";
      return 0;
    }
    for (const auto& r : *found) {
      std::cout << r.reference << "  " << store::name(r.status) << "  " << r.department.value_or("-") << "/"
                << r.agent.value_or("-") << "  " << (r.requester.name.empty() ? r.requester.address : r.requester.name)
                << (r.channel == "email" ? "" : " (" + r.channel + ")") << "  "
                << (r.subject.empty() ? "(sans objet)" : r.subject) << "  (last activity "
                << format_local(r.last_message_at.value_or(r.received_at)) << ")\n";
    }
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
