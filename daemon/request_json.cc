#include "request_json.h"

#include <ctime>

#include "mail/date.h"
#include "mail/message_json.h"

namespace guichet::cli {

namespace {
nlohmann::ordered_json opt(const std::optional<std::string>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}
nlohmann::ordered_json time_or_null(const std::optional<std::int64_t>& t) {
  return t ? nlohmann::ordered_json(mail::format_rfc3339(*t)) : nlohmann::ordered_json(nullptr);
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
  j["kind"] = r.kind;
  j["channel"] = r.channel;
  j["mailbox"] = r.mailbox;
  j["answer_version"] = r.answer_version;
  j["first_answer_at"] = time_or_null(r.first_answer_at);
  j["last_answer_at"] = time_or_null(r.last_answer_at);
  j["closed_at"] = time_or_null(r.closed_at);
  j["purged_at"] = time_or_null(r.purged_at);
  nlohmann::ordered_json clocks;
  clocks["competent_since"] = time_or_null(r.competent_since);
  clocks["suspended_since"] = time_or_null(r.suspended_since);
  clocks["suspended_days"] = r.suspended_days;
  clocks["missing"] = r.missing;
  clocks["missing_deadline"] = opt(r.missing_deadline);
  clocks["full_acknowledgement_at"] = time_or_null(r.full_ack_at);
  clocks["response_due_on"] = opt(r.response_due_on);
  clocks["decided_at"] = time_or_null(r.decided_at);
  j["clocks"] = clocks;
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
    mj["role"] = m.role;
    mj["agent"] = opt(m.agent);
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
  auto answers = nlohmann::ordered_json::array();
  for (const auto& a : r.answers) {
    nlohmann::ordered_json aj;
    aj["at"] = mail::format_rfc3339(a.at);
    aj["agent"] = opt(a.agent);
    aj["address"] = a.agent_address;
    aj["how"] = a.how;
    aj["version"] = a.version;
    aj["outbox"] = a.outbox_id ? nlohmann::ordered_json(*a.outbox_id) : nullptr;
    // The message of the request it is (1-based, as in "messages").
    nlohmann::ordered_json index = nullptr;
    for (size_t i = 0; i < r.messages.size(); ++i)
      if (a.message_row && r.messages[i].id == *a.message_row) index = i + 1;
    aj["message"] = index;
    answers.push_back(std::move(aj));
  }
  j["answers"] = answers;
  return j;
}

nlohmann::ordered_json outbox_summary_json(const store::OutboxMail& m) {
  nlohmann::ordered_json j;
  j["id"] = m.id;
  j["kind"] = store::name(m.kind);
  j["status"] = store::name(m.status);
  j["to"] = m.recipient;
  j["created_at"] = mail::format_rfc3339(m.created_at);
  j["sent_at"] = time_or_null(m.sent_at);
  j["last_error"] = m.last_error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.last_error);
  return j;
}

}  // namespace guichet::cli
