// JSON text for the database and logs: compact, and bytes that are not UTF-8 replaced rather
// than thrown on (a resident's mail is never trusted to be valid).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace guichet {

inline std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
inline std::string dump_json(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace guichet
