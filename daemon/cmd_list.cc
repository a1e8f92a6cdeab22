// guichet list [--json] [--status S] [--limit N]: the requests, oldest first.
#include <iostream>
#include <vector>

#include "commands.h"
#include "util/local_time.h"
#include "request_json.h"

namespace guichet::cli {

namespace {
// Pads or cuts to `width` display columns, always leaving one space before the next column.
// Counts UTF-8 code points, not bytes, so accented names stay aligned.
std::string pad(const std::string& s, size_t width) {
  std::vector<size_t> starts;  // byte offset of each code point
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  if (starts.size() < width) return s + std::string(width - starts.size(), ' ');
  return s.substr(0, starts[width - 2]) + "\u2026 ";
}
}  // namespace

Command add_list(CLI::App& app) {
  struct Options {
    bool json = false;
    std::string status, department, agent;
    bool machine = false;
    int limit = 0;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("list", "List requests, oldest first");
  c.app->add_flag("--json", opt->json, "print JSON (docs/json.md)");
  c.app->add_option("--status", opt->status, "only requests in this status")
      ->check([](const std::string& s) {
        return store::parse_request_status(s) ? std::string() : "unknown status \"" + s + "\" (new, open, answered, waiting, closed)";
      });
  c.app->add_option("--department", opt->department, "only this department's requests");
  c.app->add_option("--agent", opt->agent, "only those of this agent");
  c.app->add_flag("--machine", opt->machine, "machine mail kept apart (out-of-office, reports), not requests");
  c.app->add_option("--limit", opt->limit, "at most this many")->check(CLI::NonNegativeNumber);
  c.needs = Needs::store_read;
  c.run = [opt](Context& ctx) -> int {
    store::ListFilter f;
    if (!opt->status.empty()) f.status = store::parse_request_status(opt->status);
    f.limit = opt->limit;
    if (!opt->department.empty()) f.department = opt->department;
    if (!opt->agent.empty()) f.agent = opt->agent;
    if (opt->machine) f.kind = store::RequestKind::machine;
    auto rs = ctx.store->requests(f);
    if (!rs) return report(rs.error());
    if (opt->json) {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& r : *rs) arr.push_back(request_summary_json(r));
      print_json(arr);
      return 0;
    }
    std::cout << pad("REFERENCE", 12) << pad("STATUS", 9) << pad("RECEIVED", 17) << pad("DEPARTMENT", 14) << pad("AGENT", 10)
              << pad("VIA", 10) << pad("REQUESTER", 30) << "SUBJECT\n";
    for (const auto& r : *rs) {
      // A call or a visit has a name and often no address.
      std::string who = !r.requester.address.empty() ? r.requester.address
                        : !r.requester.name.empty()  ? r.requester.name
                                                     : "(no sender)";
      std::string subject = r.subject.empty() ? "(sans objet)" : r.subject;
      if (r.problem_messages > 0) subject += "  [!]";
      std::cout << pad(r.reference, 12) << pad(store::name(r.status), 9) << pad(format_local(r.received_at), 17)
                << pad(r.department.value_or("-"), 14) << pad(r.agent.value_or("-"), 10) << pad(r.channel, 10) << pad(who, 30) << subject << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
