// The directory: the commune's departments (services) and agents, from directory.yaml.
//
// It gives every request an owner and the acknowledgement its legally required mentions: the
// service's name, postal and email address and phone (R112-11-1), and the agent's first name,
// last name, title and administrative address (L111-2), unless the agent is marked anonymous.
// Loading reports every problem at once as file:line:column, like guichet.yaml.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "calendar/calendar.h"
#include "util/result.h"
#include "yaml/keys.h"

namespace guichet::yaml {
class YamlDoc;
}

namespace guichet::directory {

struct Department {
  std::string id;                  // used by rules and mailboxes: "urbanisme"
  std::string name;                // "Service urbanisme"
  std::string email;
  std::string address;             // postal address
  std::string phone;
  std::string head;                // an agent id; receives new requests when nobody else can
  std::optional<calendar::Delay> response_target;  // the service's own commitment
  std::vector<std::string> escalation;             // addresses told when a request is late
  bool pilot = false;  // the pilot service: sees and steers every request, hears of every escalation
  // The deadline scanner (engine/deadlines.h): the agent is reminded this long before the response
  // target; the pilot and `escalation` hear of a request this long after it passed (the head at once).
  calendar::Delay remind_before{1, calendar::Delay::Unit::working_days};
  calendar::Delay escalate_after{2, calendar::Delay::Unit::working_days};
};

struct Agent {
  std::string id;
  std::string first_name, last_name;
  std::string title;               // "qualité": "Instructeur des autorisations d'urbanisme"
  std::string address;             // administrative address
  std::string email;
  std::vector<std::string> departments;
  bool anonymous = false;          // L111-2's exception: mail names the service only
  std::optional<calendar::Date> absent_until;  // absent up to and including this date
  std::string backup;              // an agent id who takes their new requests meanwhile
  std::vector<std::string> aliases;  // other addresses they write from (a second mailbox, a phone)
};

// An élu (a member of the municipal council) who follows requests: read-only, the whole commune
// or only some departments and tags (README, "The web view").
struct Elu {
  std::string name;
  std::string email;
  std::string title;                     // "Adjointe au maire chargée de l'urbanisme"
  std::vector<std::string> departments;  // empty with no tags: the whole commune
  std::vector<std::string> tags;
};

class Directory {
 public:
  const std::vector<Department>& departments() const { return departments_; }
  const std::vector<Agent>& agents() const { return agents_; }
  const std::vector<Elu>& elus() const { return elus_; }
  const Department* department(const std::string& id) const;
  const Agent* agent(const std::string& id) const;
  std::vector<const Agent*> members(const std::string& department_id) const;
  // The agent who writes from `address` (their email or an alias), any case.
  const Agent* agent_by_address(const std::string& address) const;
  const Elu* elu_by_address(const std::string& address) const;
  // A department named as an agent would write it: its id or its name, case and accents ignored.
  const Department* find_department(const std::string& written) const;
  // An agent named as an agent would write it: id, address, or "First Last" / "Last First".
  const Agent* find_agent(const std::string& written) const;
  // Heads of pilot departments and their members: who steers every request.
  bool is_pilot(const Agent& a) const;
  const Agent* head_of(const std::string& department_id) const;
  std::vector<const Department*> pilots() const;

  bool is_absent(const Agent& a, calendar::Date on) const;
  // Who takes a new request meant for `agent_id` on `on`: the agent, else their backup, else the
  // head of `department_id`, else nobody (the department alone owns it). Follows chains of
  // absences, never loops.
  const Agent* assignee(const std::string& agent_id, const std::string& department_id, calendar::Date on) const;

  static Result<Directory> load(const std::string& path);
  static Result<Directory> parse(const std::string& text, const std::string& name);

 private:
  static Result<Directory> parse_doc(yaml::YamlDoc& doc);

  std::vector<Department> departments_;
  std::vector<Agent> agents_;
  std::vector<Elu> elus_;
};

// Every key a directory file accepts, by the map it stands in: guichet.yaml(5) documents each.
std::vector<yaml::Keys> accepted_keys();

}  // namespace guichet::directory
