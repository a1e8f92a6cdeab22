// Routing rules: which department and agent own a request, what kind of procedure it is, and
// which acknowledgement it gets. Admins write them in YAML (rules/*.yaml, read in name order):
//
//   - name: Urbanisme, autorisations
//     when:
//       any:
//         - subject: { contains: [déclaration préalable, permis de construire] }
//         - to: urbanisme@champignac.example            # a bare value means "contains"
//     then:
//       department: urbanisme
//       agent: round-robin                               # an agent id, round-robin, least-loaded
//       kind: { silence: acceptance, delay: 2 months }   # acceptance | rejection | none
//       priority: normal
//       tags: [urbanisme]
//       template: accuse-reception
//       acknowledge: true
//     continue: false                                    # true: keep matching after this rule
//
// Fields: mailbox, from, from_domain, to, cc, recipients (to and cc), subject, body,
// attachment_name, attachment_type, header:<Name>. Operators: contains, equals, regex, in (a list
// for equals). Matching ignores case and accents unless `case_sensitive: true` or
// `accent_sensitive: true` is given next to the operator. Regular expressions are RE2's syntax
// (no backreferences or look-around; linear time whatever the mail). Combinators: all, any, not.
// First match wins (OpenSMTPD's ruleset_match), unless a rule says `continue: true`; what a later
// rule sets overrides only what it sets. Loading reports every problem as file:line:column.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "calendar/calendar.h"
#include "directory/directory.h"
#include "mail/message.h"
#include "util/result.h"
#include "yaml/keys.h"

namespace guichet::routing {

// What rules look at in a mail.
struct MessageView {
  std::string mailbox;
  const mail::Message* message = nullptr;
};

enum class Silence { acceptance, rejection, none };

struct Kind {
  Silence silence = Silence::none;
  std::optional<calendar::Delay> delay;
};

struct Action {
  std::optional<std::string> department;
  std::optional<std::string> agent;  // an agent id, "round-robin" or "least-loaded"
  std::optional<std::string> priority;
  std::vector<std::string> tags;
  std::optional<Kind> kind;
  std::optional<std::string> template_name;
  std::optional<bool> acknowledge;
};

struct Condition;  // a tree of field tests and all/any/not

struct Rule {
  std::string name;
  std::string place;  // file:line:column of the rule
  std::shared_ptr<const Condition> when;
  Action then;
  bool continue_matching = false;
};

// What evaluation found: the merged action, the rules that matched, and a line per test.
struct Evaluation {
  Action action;
  std::vector<std::string> matched;  // rule names, in order
  std::vector<std::string> trace;    // "rule #2 \"Voirie\" (rules/20-voirie.yaml:3:3): no match", …
};

class RuleSet {
 public:
  // `path` is a file, or a folder of *.yaml read in name order. Departments, agents and templates
  // named by rules must exist in `dir` and `templates` (template names without extension).
  static Result<RuleSet> load(const std::string& path, const directory::Directory& dir,
                              const std::set<std::string>& templates);
  static Result<RuleSet> parse(const std::string& text, const std::string& name, const directory::Directory& dir,
                               const std::set<std::string>& templates);

  const std::vector<Rule>& rules() const { return rules_; }
  // `trace`: also describe every test (for `rules test`); the daemon routes without it.
  Evaluation evaluate(const MessageView& m, bool trace = true) const;

 private:
  std::vector<Rule> rules_;
};

const char* silence_name(Silence s);

// Every key a rules file accepts, by where it stands ("rules", "fields" of `when`, "operators",
// "then", "kind"; `header:Name` aside): guichet-rules(5) documents each.
std::vector<yaml::Keys> accepted_keys();

}  // namespace guichet::routing
