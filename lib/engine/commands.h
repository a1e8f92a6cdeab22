// The command block of an agent's mail (README, "Commands"): lines "Clé : valeur" at the top of
// the text, before the first other line. Keys are French first, with English aliases, case and
// accents ignored ("Service :", "SERVICE:", "Département :"). A list may continue on lines that
// start with "-" ("Pièces manquantes :" then "- plan de situation").
//
// Parsing only: what each command does, who may give it and in which order they apply is
// engine/actions.h. Command lines in a resident's mail are never parsed: they stay text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace guichet::engine {

enum class CommandKey {
  service,    // transfer to a department
  agent,      // reassign
  status,     // en cours | en attente | clos
  procedure,  // a named procedure, or "acceptation|rejet <délai>"
  missing,    // pièces manquantes: a list
  note,       // internal note
  priority,   // basse | normale | haute | urgente
  // Intake of a request received by phone, at the counter or by letter (intake token only).
  channel, requester, email, phone, postal, subject, received_on,
  unknown,    // a line shaped like a command whose key is not one
};

struct Command {
  CommandKey key = CommandKey::unknown;
  std::string written;  // the key as the agent wrote it
  std::string value;
  std::vector<std::string> items;  // lists: the value split on ',' ';' and "- " lines
  int line = 0;                    // 1-based, in the text given
};

struct CommandBlock {
  std::vector<Command> commands;
  std::string rest;  // the text after the block: the answer, or the note
};

// `intake`: the keys of a request recorded at the counter (Canal, Demandeur…) are commands;
// otherwise they are not, so that an answer whose first line is "Objet : …" stays text.
CommandBlock parse_command_block(std::string_view text, bool intake = false);

// "Service", "Pièces manquantes"… for receipts.
const char* command_label(CommandKey key);

}  // namespace guichet::engine
