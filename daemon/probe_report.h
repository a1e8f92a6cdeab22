// How `guichet mailbox test` and `guichet smtp test` print the steps of reaching a server.
#pragma once

#include <vector>

#include "transport/probe.h"

namespace guichet::cli {

// One line per step ("ok", or "FAILED" and why), or a JSON array with --json. The exit code: 0
// when every step passed, 75 when the server could not be reached (it may come back), 78 when
// what failed is the configuration's (TLS, the login, the folder, `start`).
int report_probe(const std::vector<transport::ProbeStep>& steps, bool json);

}  // namespace guichet::cli
