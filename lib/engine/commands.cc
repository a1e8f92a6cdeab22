#include "engine/commands.h"

#include <utility>

#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::engine {

namespace {

struct Alias {
  const char* folded;
  CommandKey key;
};

// Folded (lower case, no accents) keys and their aliases.
constexpr Alias kAliases[] = {
    {"service", CommandKey::service},       {"departement", CommandKey::service},
    {"department", CommandKey::service},    {"transfert", CommandKey::service},
    {"transfer", CommandKey::service},      {"agent", CommandKey::agent},
    {"attribuer a", CommandKey::agent},     {"assign", CommandKey::agent},
    {"responsable", CommandKey::agent},     {"statut", CommandKey::status},
    {"status", CommandKey::status},         {"etat", CommandKey::status},
    {"procedure", CommandKey::procedure},   {"pieces manquantes", CommandKey::missing},
    {"piece manquante", CommandKey::missing}, {"pieces a fournir", CommandKey::missing},
    {"missing", CommandKey::missing},       {"missing pieces", CommandKey::missing},
    {"note", CommandKey::note},             {"note interne", CommandKey::note},
    {"priorite", CommandKey::priority},     {"priority", CommandKey::priority},
    {"canal", CommandKey::channel},         {"channel", CommandKey::channel},
    {"demandeur", CommandKey::requester},   {"demandeuse", CommandKey::requester},
    {"requester", CommandKey::requester},   {"courriel", CommandKey::email},
    {"email", CommandKey::email},           {"e-mail", CommandKey::email},
    {"mail", CommandKey::email},            {"telephone", CommandKey::phone},
    {"tel", CommandKey::phone},             {"phone", CommandKey::phone},
    {"adresse", CommandKey::postal},        {"address", CommandKey::postal},
    {"objet", CommandKey::subject},         {"subject", CommandKey::subject},
    {"recu le", CommandKey::received_on},   {"received", CommandKey::received_on},
    {"received on", CommandKey::received_on},
};

CommandKey key_of(const std::string& folded) {
  for (const auto& a : kAliases)
    if (folded == a.folded) return a.key;
  return CommandKey::unknown;
}

// "Key : value" → (key as written, value); false when the line has no such shape. A key is at
// most four words of letters (a sentence with a colon is text).
bool split_line(std::string_view line, std::string& key, std::string& value) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 40) return false;
  const std::string_view k = trim(line.substr(0, colon));
  if (k.empty()) return false;
  int words = 1;
  for (char c : k) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == ' ') ++words;
    else if (!(std::isalpha(u) || u >= 0x80 || c == '-' || c == '\'' || c == '.')) return false;
  }
  if (words > 4) return false;
  key = std::string(k);
  value = std::string(trim(line.substr(colon + 1)));
  return true;
}

std::vector<std::string> split_items(const std::string& value) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : value) {
    if (c == ',' || c == ';') {
      if (!trim(cur).empty()) out.emplace_back(trim(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!trim(cur).empty()) out.emplace_back(trim(cur));
  return out;
}

bool list_line(std::string_view line, std::string& item) {
  std::string_view t = trim(line);
  for (std::string_view bullet : {"- ", "* ", "\xE2\x80\xA2 "}) {
    if (t.substr(0, bullet.size()) == bullet) {
      item = std::string(trim(t.substr(bullet.size())));
      return !item.empty();
    }
  }
  return false;
}

}  // namespace

CommandBlock parse_command_block(std::string_view text, bool intake) {
  CommandBlock block;
  std::vector<std::string> lines;
  for (auto part : split(text, '\n')) {
    std::string l(part);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    lines.push_back(std::move(l));
  }
  size_t i = 0;
  while (i < lines.size() && trim(lines[i]).empty()) ++i;
  for (; i < lines.size(); ++i) {
    std::string key, value;
    if (!split_line(lines[i], key, value)) break;
    Command c;
    c.key = key_of(fold_text(key));
    if (!intake && c.key >= CommandKey::channel && c.key < CommandKey::unknown) c.key = CommandKey::unknown;
    // The block starts only with a known key: "Madame : …" on the first line is text.
    if (c.key == CommandKey::unknown && block.commands.empty()) break;
    c.written = key;
    c.value = value;
    c.line = static_cast<int>(i + 1);
    c.items = split_items(value);
    if (c.key == CommandKey::missing || c.key == CommandKey::note) {
      // A list on the lines below: "- plan de situation"; a note may go on over several lines.
      std::string item;
      while (i + 1 < lines.size() && list_line(lines[i + 1], item)) {
        c.items.push_back(item);
        c.value += (c.value.empty() ? "" : "\n") + std::string("- ") + item;
        ++i;
      }
    }
    block.commands.push_back(std::move(c));
  }
  // Blank lines between the block and the text are not part of the answer.
  while (i < lines.size() && trim(lines[i]).empty()) ++i;
  for (size_t j = i; j < lines.size(); ++j) block.rest += lines[j] + (j + 1 < lines.size() ? "\n" : "");
  if (block.commands.empty()) block.rest = std::string(text);
  return block;
}

const char* command_label(CommandKey key) {
  switch (key) {
    case CommandKey::service: return "Service";
    case CommandKey::agent: return "Agent";
    case CommandKey::status: return "Statut";
    case CommandKey::procedure: return "Proc\xC3\xA9" "dure";
    case CommandKey::missing: return "Pi\xC3\xA8" "ces manquantes";
    case CommandKey::note: return "Note";
    case CommandKey::priority: return "Priorit\xC3\xA9";
    case CommandKey::channel: return "Canal";
    case CommandKey::requester: return "Demandeur";
    case CommandKey::email: return "Courriel";
    case CommandKey::phone: return "T\xC3\xA9l\xC3\xA9phone";
    case CommandKey::postal: return "Adresse";
    case CommandKey::subject: return "Objet";
    case CommandKey::received_on: return "Re\xC3\xA7u le";
    case CommandKey::unknown: return "?";
  }
  return "?";
}

}  // namespace guichet::engine
