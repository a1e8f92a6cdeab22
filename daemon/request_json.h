// JSON and text renderings of requests shared by `list` and `show` (docs/json.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"

namespace guichet::cli {

nlohmann::ordered_json request_summary_json(const store::RequestInfo& r);
nlohmann::ordered_json request_detail_json(const store::RequestInfo& r);
// One mail of the outbox about a request, without its bytes.
nlohmann::ordered_json outbox_summary_json(const store::OutboxMail& m);

}  // namespace guichet::cli
