// The variables of a mail about one request (acknowledgements, notices to agents, transfers),
// built from the request, the directory and the calendar. docs/templates.md lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "calendar/calendar.h"
#include "directory/directory.h"
#include "mail/message.h"
#include "templates/templates.h"

namespace guichet::templates {

struct Letter {
  std::string commune;
  std::string reference;
  std::string subject;           // the resident's original subject
  std::int64_t received_at = 0;  // when the town's server received the mail
  mail::Address resident;
  const directory::Department* service = nullptr;
  const directory::Agent* agent = nullptr;  // nullptr: none yet; anonymous agents are not named
  std::string silence = "none";             // acceptance | rejection | none
  std::optional<std::string> delay;         // "2 mois"
  std::optional<calendar::Date> deemed_decision_on;
  std::vector<std::string> missing;  // pieces an incomplete request lacks
  std::optional<calendar::Date> missing_deadline;
  const directory::Department* previous_service = nullptr;  // transfers
  std::string mailbox;
  std::string channel = "email";  // email | telephone | guichet | courrier: how the request came
};

Data letter_data(const Letter& l);

// The acknowledgement a new request gets: the rule's template when it names one; the full
// acknowledgement when the procedure (what silence means) is known; else the registration receipt.
std::string acknowledgement_template(const std::optional<std::string>& rule_template, const std::string& silence);

}  // namespace guichet::templates
