#include "request_json.h"

#include <ctime>

#include "mail/date.h"
#include "mail/message_json.h"

namespace guichet::cli {

namespace {
nlohmann::ordered_json opt(const std::optional<std::string>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}
}  // namespace

nlohmann::ordered_json request_summary_json(const store::RequestInfo& r) {
  nlohmann::ordered_json j;
  j["reference"] = r.reference;
  j["status"] = store::name(r.status);
  j["subject"] = r.subject;
  j["requester"] = mail::address_json(r.requester);
  j["department"] = opt(r.department);
  j["agent"] = opt(r.agent);
  j["received_at"] = mail::format_rfc3339(r.received_at);
  auto ids = nlohmann::ordered_json::array();
  for (const auto& id : r.message_ids) ids.push_back(id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(id));
  j["messages"] = ids;
  j["problem_messages"] = r.problem_messages;
  j["relances"] = r.relances;
  j["linked_to"] = opt(r.linked_to);
  j["merged_into"] = opt(r.merged_into);
  j["priority"] = r.priority;
  j["tags"] = nlohmann::ordered_json::parse(r.tags_json);
  j["silence"] = r.silence;
  j["delay"] = opt(r.delay);
  j["deemed_decision_on"] = opt(r.deemed_decision_on);
  return j;
}

nlohmann::ordered_json request_detail_json(const store::RequestInfo& r) {
  nlohmann::ordered_json j = request_summary_json(r);
  auto msgs = nlohmann::ordered_json::array();
  for (size_t i = 0; i < r.messages.size(); ++i) {
    const auto& m = r.messages[i];
    nlohmann::ordered_json mj;
    mj["index"] = i + 1;
    mj["message_id"] = opt(m.message_id);
    mj["from"] = mail::address_json(m.from);
    mj["subject"] = m.subject;
    mj["date"] = m.date ? nlohmann::ordered_json(mail::format_rfc3339(*m.date)) : nlohmann::ordered_json(nullptr);
    mj["received_at"] = mail::format_rfc3339(m.received_at);
    mj["matched_by"] = m.matched_by;
    mj["auto"] = m.auto_submitted;
    mj["bounce"] = m.bounce;
    mj["list"] = m.list;
    mj["text"] = m.text;
    mj["has_html"] = m.has_html;
    auto atts = nlohmann::ordered_json::array();
    for (const auto& a : m.attachments)
      atts.push_back({{"filename", a.filename}, {"content_type", a.content_type}, {"size", a.size}, {"sha256", a.sha256}});
    mj["attachments"] = atts;
    auto srcs = nlohmann::ordered_json::array();
    for (const auto& s : m.sources)
      srcs.push_back({{"mailbox", s.mailbox},
                      {"location", s.location},
                      {"recipient", s.recipient},
                      {"seen_at", mail::format_rfc3339(s.seen_at)}});
    mj["sources"] = srcs;
    mj["problems"] = nlohmann::ordered_json::parse(m.problems_json);
    msgs.push_back(std::move(mj));
  }
  j["messages"] = msgs;
  auto evs = nlohmann::ordered_json::array();
  for (const auto& e : r.events) {
    evs.push_back({{"at", mail::format_rfc3339(e.at)},
                   {"actor", e.actor},
                   {"kind", e.kind},
                   {"detail", nlohmann::ordered_json::parse(e.detail_json)}});
  }
  j["events"] = evs;
  return j;
}

}  // namespace guichet::cli
