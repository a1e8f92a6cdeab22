// Templates: the text of every mail guichet writes (etc/templates/*.mustache, plain-text UTF-8).
//
// Mustache (kainjow) with two changes the mail needs:
// - no HTML escaping: `{{x}}` renders "l'école" as is, not "l&apos;école";
// - a variable the vocabulary does not know is an error when the template is loaded
//   (`rules check`), with its line and column, instead of rendering as empty text in a resident's
//   acknowledgement. The vocabulary is one tree for every template (docs/templates.md).
//
// The built-in templates (compiled from etc/templates/) apply when the configuration names no
// folder; a configured folder overrides them file by file.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <kainjow/mustache.hpp>

#include "util/result.h"

namespace guichet::templates {

using Data = kainjow::mustache::data;

// The names a template may use. Each node lists what may appear inside its section, or after a
// dot: `{{#agent}}{{first_name}}{{/agent}}` or `{{agent.first_name}}`.
struct Vocabulary {
  std::map<std::string, Vocabulary> names;
};
const Vocabulary& vocabulary();

// Every template guichet itself renders: they must exist and be valid.
inline constexpr const char* kAcknowledgement = "accuse-reception";    // full receipt (procedure known)
inline constexpr const char* kRegistration = "accuse-enregistrement";  // registration receipt
inline constexpr const char* kAgentNotification = "notification-agent";
inline constexpr const char* kTransfer = "transfert";
inline constexpr const char* kReminder = "relance";            // a resident chases: agent and head
inline constexpr const char* kEscalation = "escalade";          // the response target passed: head, pilot
inline constexpr const char* kTargetReminder = "rappel-echeance";  // the target is near: the agent
inline constexpr const char* kFullAckReminder = "rappel-accuse";   // the full acknowledgement is owed
inline constexpr const char* kDecisionAlert = "alerte-decision";   // a deemed decision approaches
inline constexpr const char* kDecisionReached = "decision-implicite";  // born today
inline constexpr const char* kNoOwner = "sans-responsable";        // nobody can take it
inline constexpr const char* kAttestation = "attestation";         // L232-3, for the resident
inline constexpr const char* kLoginLink = "lien-connexion";        // the web view's one-time link
inline constexpr const char* kDigest = "digest";
inline constexpr const char* kMailboxFailing = "alerte-boite";            // to the admin
inline constexpr const char* kMailboxRecovered = "alerte-boite-retablie";  // to the admin
inline constexpr const char* kUndelivered = "courriel-non-remis";         // to the service
inline constexpr const char* kAgentAnswer = "reponse-agent";        // an agent's answer, to the resident
inline constexpr const char* kCommandsReceipt = "recu-commandes";   // to the agent: what their commands did
inline constexpr const char* kAnswerRefused = "reponse-refusee";    // to the agent named: not relayed, why
inline constexpr const char* kAnswerHeld = "reponse-retenue";       // to the agent: a colleague answered first
inline constexpr const char* kAnswerEmpty = "reponse-vide";         // to the agent: nothing left to relay
// To the agent who recorded a call, a visit or a letter from someone without an address: the
// acknowledgement to print, post or read out (engine/intake.h).
inline constexpr const char* kHandedAcknowledgement = "accuse-a-remettre";
inline constexpr const char* kIntakeRefused = "enregistrement-refuse";  // to the agent: what to correct
const std::vector<const char*>& required();

// Problems in one template's text: "line:column: message", checked against `vocabulary()`.
std::vector<std::string> check(const std::string& text);

class TemplateSet {
 public:
  // The built-in templates, overridden by `folder`'s *.mustache when `folder` is not empty.
  // Every problem is reported at once as "file:line:column: message" (Errc::config).
  static Result<TemplateSet> load(const std::string& folder);
  static Result<TemplateSet> builtin() { return load(""); }

  bool has(const std::string& name) const { return texts_.count(name) != 0; }
  std::set<std::string> names() const;
  // Where a template came from: a file path, or "built-in:<name>".
  std::string origin(const std::string& name) const;

  // Renders without HTML escaping. Errc::config when `name` is unknown.
  Result<std::string> render(const std::string& name, const Data& data) const;

 private:
  struct Compiled;  // the parsed template, kept: parsing it cost a tenth of each ingest
  struct Entry {
    std::string text, origin;
    std::string renderable;  // text without its standalone tag lines
    std::shared_ptr<Compiled> compiled;
  };
  std::map<std::string, Entry> texts_;
};

// The built-in texts, by name (generated from etc/templates/ at build time).
const std::map<std::string, std::string>& builtin_texts();

}  // namespace guichet::templates
