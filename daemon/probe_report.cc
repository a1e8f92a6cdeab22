#include "probe_report.h"

#include <iostream>

#include "commands.h"

namespace guichet::cli {

int report_probe(const std::vector<transport::ProbeStep>& steps, bool json) {
  const transport::ProbeStep* failed = nullptr;
  for (const auto& s : steps)
    if (!s.ok && !failed) failed = &s;
  if (json) {
    auto arr = nlohmann::ordered_json::array();
    for (const auto& s : steps) arr.push_back({{"step", s.step}, {"ok", s.ok}, {"detail", s.detail}});
    print_json(arr);
  } else {
    for (const auto& s : steps)
      std::cout << (s.ok ? "ok      " : "FAILED  ") << s.step
                << std::string(s.step.size() < 10 ? 10 - s.step.size() : 1, ' ') << s.detail << "\n";
  }
  if (!failed) return 0;
  // A server or token endpoint out of reach may come back by itself (75); a refusal is the
  // configuration's to mend (78): a password, a certificate, an expired client secret.
  const bool unreachable = failed->step == "resolve" || failed->step == "connect" ||
                           (failed->step == "OAuth2" && failed->detail.find(" is unreachable") != std::string::npos);
  return static_cast<int>(unreachable ? Errc::temp_fail : Errc::config);
}

}  // namespace guichet::cli
