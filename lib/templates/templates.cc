#include "templates/templates.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <fstream>
#include <sstream>

namespace guichet::templates {

namespace fs = std::filesystem;

namespace {
Vocabulary leaf() { return {}; }
Vocabulary node(std::initializer_list<const char*> names) {
  Vocabulary v;
  for (const char* n : names) v.names.emplace(n, leaf());
  return v;
}
}  // namespace

const Vocabulary& vocabulary() {
  static const Vocabulary v = [] {
    Vocabulary root = node({"commune", "reference", "subject", "received", "received_date", "today", "anonymous",
                            "acceptance", "rejection", "procedure_known", "incomplete", "delay", "deemed_decision_date",
                            "missing_deadline", "count", "mailbox", "answer", "reason", "note_address",
                            "actor", "due_date", "days_late", "days_open", "relances", "level", "agent_name",
                            "link", "letter", "channel_words", "received_what",
                            "reply_by_mail"});
    root.names["recipient"] = node({"first_name", "last_name", "title", "email"});
    root.names["lines"] = node({"text"});
    root.names["problems"] = node({"text"});
    root.names["colleague"] = node({"name", "date", "text"});
    root.names["resident"] = node({"name", "email", "phone", "postal"});
    const auto service = node({"name", "email", "address", "phone"});
    root.names["service"] = service;
    root.names["previous_service"] = service;
    root.names["agent"] = node({"first_name", "last_name", "title", "address", "email"});
    root.names["missing"] = node({"item"});
    root.names["alert"] = node({"mailbox", "url", "since", "error"});
    root.names["failure"] = node({"what", "recipient", "error"});
    const auto entry = node({"reference", "subject", "received_date", "resident_name", "service_name", "agent_name",
                             "deemed_decision_date", "days_open", "days_late", "status", "due_date", "channel",
                             "relances"});
    root.names["requests"] = entry;
    Vocabulary digest =
        node({"scope", "unanswered_days", "any", "overdue_count", "due_count", "relances_count", "unanswered_count",
              "new_count", "overdue_more", "due_more", "relances_more", "unanswered_more", "new_more", "link"});
    for (const char* list : {"overdue", "due", "relances", "unanswered", "new"}) digest.names[list] = entry;
    root.names["digest"] = digest;
    return root;
  }();
  return v;
}

const std::vector<const char*>& required() {
  static const std::vector<const char*> names = {
      kAcknowledgement, kRegistration, kAgentNotification, kTransfer,      kReminder,
      kEscalation,      kDigest,       kMailboxFailing,    kMailboxRecovered, kUndelivered,
      kAgentAnswer,     kCommandsReceipt, kAnswerRefused,  kAnswerHeld,       kAnswerEmpty,
      kTargetReminder,  kFullAckReminder, kDecisionAlert,  kDecisionReached,  kNoOwner,
      kAttestation,     kLoginLink,       kHandedAcknowledgement, kIntakeRefused};
  return names;
}

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string place(const std::string& text, size_t offset) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;  // count characters, not UTF-8 continuation bytes
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

std::vector<std::string> split_dots(const std::string& name) {
  std::vector<std::string> parts;
  std::stringstream ss(name);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  return parts;
}

// Resolves `name` the way mustache does: its first part in the innermost section that knows it,
// then outwards; the rest of a dotted name inside what was found.
const Vocabulary* resolve(const std::vector<const Vocabulary*>& scopes, const std::string& name) {
  auto parts = split_dots(name);
  if (parts.empty()) return nullptr;
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    auto found = (*it)->names.find(parts[0]);
    if (found == (*it)->names.end()) continue;
    const Vocabulary* v = &found->second;
    for (size_t i = 1; i < parts.size(); ++i) {
      auto child = v->names.find(parts[i]);
      if (child == v->names.end()) return nullptr;
      v = &child->second;
    }
    return v;
  }
  return nullptr;
}

// Mustache's "standalone" rule: a line holding only a section tag or a comment disappears with
// its line break, so that templates are written one tag per line without leaving blank lines.
// kainjow 4.1 applies it only inside sections it renders (a false section leaves a blank line),
// so it is done here instead: such a line loses its indentation and line break, and a marker
// after the tag keeps kainjow from applying its own rule to the next line; render() removes it.
constexpr char kMarker = '\x01';

std::string drop_standalone_lines(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    const size_t end = nl == std::string::npos ? text.size() : nl + 1;
    std::string_view line(text.data() + start, end - start);
    std::string_view t = line;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ' || t.back() == '\t'))
      t.remove_suffix(1);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    const bool standalone = t.size() > 4 && t.substr(0, 2) == "{{" && t.substr(t.size() - 2) == "}}" &&
                            std::string_view("#^/!").find(t[2]) != std::string_view::npos &&
                            t.find("{{", 2) == std::string_view::npos;
    if (standalone) {
      out.append(t);
      out.push_back(kMarker);
    } else {
      out.append(line);
    }
    start = end;
  }
  return out;
}

}  // namespace

std::vector<std::string> check(const std::string& text) {
  std::vector<std::string> problems;
  std::vector<const Vocabulary*> scopes{&vocabulary()};
  std::vector<std::pair<std::string, size_t>> open;  // section names and where they opened
  static const Vocabulary unknown_section;           // keeps scanning after an unknown section
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
      problems.push_back(place(text, i) + ": control character in a mail template");
      break;
    }
  }
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string::npos) {
    const size_t start = pos;
    const bool triple = text.compare(pos, 3, "{{{") == 0;
    const std::string closing = triple ? "}}}" : "}}";
    size_t end = text.find(closing, pos + (triple ? 3 : 2));
    if (end == std::string::npos) {
      problems.push_back(place(text, start) + ": unclosed tag");
      break;
    }
    std::string tag = text.substr(pos + (triple ? 3 : 2), end - pos - (triple ? 3 : 2));
    pos = end + closing.size();
    char sigil = tag.empty() ? '\0' : tag[0];
    if (triple) sigil = '&';
    if (!triple &&
        (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!' || sigil == '>' || sigil == '=' || sigil == '&'))
      tag.erase(0, 1);
    const std::string name = trim(tag);
    switch (sigil) {
      case '!':
        continue;
      case '>':
        problems.push_back(place(text, start) + ": partials ({{>" + name + "}}) are not supported");
        continue;
      case '=':
        problems.push_back(place(text, start) + ": changing the delimiters is not supported");
        continue;
      case '#':
      case '^': {
        const Vocabulary* v = resolve(scopes, name);
        if (!v) problems.push_back(place(text, start) + ": unknown variable \"" + name + "\"");
        scopes.push_back(v ? v : &unknown_section);
        open.emplace_back(name, start);
        continue;
      }
      case '/':
        if (open.empty() || open.back().first != name) {
          problems.push_back(place(text, start) + ": {{/" + name + "}} closes " +
                             (open.empty() ? std::string("no open section") : "\"" + open.back().first + "\""));
        } else {
          open.pop_back();
          scopes.pop_back();
        }
        continue;
      default:
        if (name == "." && scopes.size() > 1) continue;  // the current list item
        if (name.empty()) {
          problems.push_back(place(text, start) + ": empty tag");
        } else if (!resolve(scopes, name)) {
          problems.push_back(place(text, start) + ": unknown variable \"" + name + "\"");
        }
    }
  }
  for (const auto& [name, at] : open)
    problems.push_back(place(text, at) + ": section \"" + name + "\" is never closed");
  if (problems.empty()) {
    kainjow::mustache::mustache m{text};
    if (!m.is_valid()) problems.push_back("1:1: " + m.error_message());
  }
  return problems;
}

Result<TemplateSet> TemplateSet::load(const std::string& folder) {
  TemplateSet set;
  for (const auto& [name, text] : builtin_texts()) set.texts_[name] = Entry{text, "built-in:" + name, "", nullptr};
  std::vector<std::string> errors;
  if (!folder.empty()) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) return make_error(Errc::config, folder + ": templates folder not found");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(folder, ec))
      if (e.path().extension() == ".mustache") files.push_back(e.path());
    if (ec) return make_error(Errc::config, folder + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      if (!in) {
        errors.push_back(f.string() + ": cannot be read");
        continue;
      }
      set.texts_[f.stem().string()] = Entry{ss.str(), f.string(), "", nullptr};
    }
  }
  for (auto& [name, entry] : set.texts_) {
    entry.renderable = drop_standalone_lines(entry.text);
    entry.compiled = std::make_shared<Compiled>(entry.renderable);
    for (const auto& p : check(entry.text)) errors.push_back(entry.origin + ":" + p);
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    return make_error(Errc::config, all);
  }
  return set;
}

std::set<std::string> TemplateSet::names() const {
  std::set<std::string> out;
  for (const auto& [name, entry] : texts_) out.insert(name);
  return out;
}

std::string TemplateSet::origin(const std::string& name) const {
  auto it = texts_.find(name);
  return it == texts_.end() ? std::string() : it->second.origin;
}

struct TemplateSet::Compiled {
  explicit Compiled(const std::string& text) : m(text) {
    // Mail is plain text: "l'école" must stay "l'école", not "l&apos;école".
    m.set_custom_escape([](const std::string& s) { return s; });
  }
  std::mutex mu;  // the web view's threads may render a login mail at once
  kainjow::mustache::mustache m;
};

Result<std::string> TemplateSet::render(const std::string& name, const Data& data) const {
  auto it = texts_.find(name);
  if (it == texts_.end()) return make_error(Errc::config, "template \"" + name + "\" not found");
  Compiled& c = *it->second.compiled;
  std::lock_guard lock(c.mu);
  std::string out = c.m.render(data);
  std::erase(out, kMarker);
  if (!c.m.is_valid()) return make_error(Errc::config, it->second.origin + ": " + c.m.error_message());
  return out;
}

}  // namespace guichet::templates
