#include "mail/message_json.h"

#include "mail/date.h"

namespace guichet::mail {

nlohmann::ordered_json address_json(const Address& a) {
  return nlohmann::ordered_json{{"name", a.name}, {"address", a.address}};
}

nlohmann::ordered_json addresses_json(const std::vector<Address>& list) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& a : list) out.push_back(address_json(a));
  return out;
}

nlohmann::ordered_json to_json(const Message& m) {
  nlohmann::ordered_json j;
  j["message_id"] = m.message_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.message_id);
  j["in_reply_to"] = m.in_reply_to;
  j["references"] = m.references;
  j["date"] = m.date ? nlohmann::ordered_json(format_rfc3339(*m.date)) : nlohmann::ordered_json(nullptr);
  j["from"] = addresses_json(m.from);
  j["sender"] = addresses_json(m.sender);
  j["reply_to"] = addresses_json(m.reply_to);
  j["to"] = addresses_json(m.to);
  j["cc"] = addresses_json(m.cc);
  j["subject"] = m.subject;
  j["text"] = m.text;
  j["html"] = m.html ? nlohmann::ordered_json(*m.html) : nlohmann::ordered_json(nullptr);
  auto atts = nlohmann::ordered_json::array();
  for (const auto& a : m.attachments) {
    atts.push_back({{"filename", a.filename}, {"content_type", a.content_type}, {"size", a.size}, {"sha256", a.sha256}});
  }
  j["attachments"] = atts;
  j["auto"] = m.auto_submitted;
  j["bounce"] = m.bounce;
  j["list"] = m.list;
  j["problems"] = m.problems;
  return j;
}

}  // namespace guichet::mail
