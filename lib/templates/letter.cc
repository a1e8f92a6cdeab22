#include "templates/letter.h"

namespace guichet::templates {

namespace {
Data service_data(const directory::Department& d) {
  Data s;
  s.set("name", d.name);
  s.set("email", d.email);
  s.set("address", d.address);
  s.set("phone", d.phone);
  return s;
}
}  // namespace

Data letter_data(const Letter& l) {
  Data d;
  d.set("commune", l.commune);
  d.set("reference", l.reference);
  d.set("subject", l.subject.empty() ? std::string("(sans objet)") : l.subject);
  // A call, a visit or a letter is dated by its day (the agent says which; the hour is theirs).
  const bool by_mail = l.channel == "email";
  d.set("received", by_mail ? calendar::french_date_time(l.received_at)
                            : "le " + calendar::french_date(calendar::local_date(l.received_at)));
  d.set("received_what", l.channel == "telephone" ? "votre appel"
                         : l.channel == "guichet" ? "votre demande au guichet"
                         : l.channel == "courrier" ? "votre courrier"
                                                   : "votre courriel");
  // Answering the acknowledgement reaches the service only when it went by mail.
  d.set("reply_by_mail", by_mail || !l.resident.address.empty());
  d.set("received_date", calendar::french_date(calendar::local_date(l.received_at)));
  d.set("mailbox", l.mailbox);
  Data resident;
  resident.set("name", l.resident.name.empty() ? l.resident.address : l.resident.name);
  resident.set("email", l.resident.address);
  d.set("resident", resident);
  if (l.service) d.set("service", service_data(*l.service));
  if (l.previous_service) d.set("previous_service", service_data(*l.previous_service));
  // L111-2: the agent is named unless the directory marks them anonymous; the service block
  // then stands alone.
  const bool named = l.agent && !l.agent->anonymous;
  d.set("anonymous", l.agent != nullptr && l.agent->anonymous);
  if (named) {
    Data a;
    a.set("first_name", l.agent->first_name);
    a.set("last_name", l.agent->last_name);
    a.set("title", l.agent->title);
    a.set("address", l.agent->address);
    a.set("email", l.agent->email);
    d.set("agent", a);
  } else {
    d.set("agent", false);
  }
  // Known: what silence means, and the date (none yet while pieces are missing: the clock waits).
  const bool known =
      (l.silence == "acceptance" || l.silence == "rejection") && (l.deemed_decision_on || !l.missing.empty());
  d.set("procedure_known", known);
  d.set("acceptance", known && l.silence == "acceptance");
  d.set("rejection", known && l.silence == "rejection");
  d.set("delay", l.delay.value_or(""));
  d.set("deemed_decision_date", l.deemed_decision_on ? calendar::french_date(*l.deemed_decision_on) : std::string());
  d.set("incomplete", !l.missing.empty());
  kainjow::mustache::list missing;
  for (const auto& m : l.missing) {
    Data item;
    item.set("item", m);
    missing.push_back(item);
  }
  d.set("missing", missing);
  d.set("missing_deadline", l.missing_deadline ? calendar::french_date(*l.missing_deadline) : std::string());
  return d;
}

std::string acknowledgement_template(const std::optional<std::string>& rule_template, const std::string& silence) {
  if (rule_template) return *rule_template;
  return silence == "acceptance" || silence == "rejection" ? kAcknowledgement : kRegistration;
}

}  // namespace guichet::templates
