// guichet list [--json] [--status S] [--limit N]: the requests, oldest first.
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "request_json.h"

namespace guichet::cli {

namespace {
// Pads to `width` display columns; counts UTF-8 code points, not bytes, so accents align.
std::string pad(const std::string& s, size_t width) {
  size_t cols = 0;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (cols == width) break;
      ++cols;
    }
    out.push_back(s[i]);
  }
  if (cols < width) out.append(width - cols, ' ');
  return out;
}
}  // namespace

Command add_list(CLI::App& app) {
  struct Options {
    bool json = false;
    std::string status;
    int limit = 0;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("list", "List requests, oldest first");
  c.app->add_flag("--json", opt->json, "print JSON (docs/json.md)");
  c.app->add_option("--status", opt->status, "only requests in this status")
      ->check(CLI::IsMember({"new", "open", "waiting", "closed"}));
  c.app->add_option("--limit", opt->limit, "at most this many")->check(CLI::NonNegativeNumber);
  c.needs = Needs::store_read;
  c.run = [opt](Context& ctx) -> int {
    store::ListFilter f;
    if (!opt->status.empty()) f.status = opt->status;
    f.limit = opt->limit;
    auto rs = ctx.store->requests(f);
    if (!rs) return report(rs.error());
    if (opt->json) {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& r : *rs) arr.push_back(request_summary_json(r));
      print_json(arr);
      return 0;
    }
    std::cout << pad("REFERENCE", 12) << pad("STATUS", 8) << pad("RECEIVED", 17) << pad("DEPARTMENT", 14)
              << pad("REQUESTER", 30) << "SUBJECT\n";
    for (const auto& r : *rs) {
      std::string who = r.requester.address.empty() ? "(no sender)" : r.requester.address;
      std::string subject = r.subject.empty() ? "(sans objet)" : r.subject;
      if (r.problem_messages > 0) subject += "  [!]";
      std::cout << pad(r.reference, 12) << pad(r.status, 8) << pad(local_time(r.received_at), 17)
                << pad(r.department.value_or("-"), 14) << pad(who, 30) << subject << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
