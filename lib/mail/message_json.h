// The JSON form of a Message printed by `guichet parse --json` (docs/json.md, version 1).
// Field names are a stable interface: add fields, never rename them.
#pragma once

#include <nlohmann/json.hpp>

#include "mail/message.h"

namespace guichet::mail {

nlohmann::ordered_json address_json(const Address& a);
nlohmann::ordered_json addresses_json(const std::vector<Address>& list);
nlohmann::ordered_json to_json(const Message& m);

}  // namespace guichet::mail
