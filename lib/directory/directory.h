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
};

class Directory {
 public:
  const std::vector<Department>& departments() const { return departments_; }
  const std::vector<Agent>& agents() const { return agents_; }
  const Department* department(const std::string& id) const;
  const Agent* agent(const std::string& id) const;
  std::vector<const Agent*> members(const std::string& department_id) const;

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
};

}  // namespace guichet::directory
