#include "routing/rules.h"

#include <algorithm>
#include <filesystem>

#include "config/yaml_doc.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::routing {

namespace fs = std::filesystem;
using config::YamlDoc;

struct Condition {
  enum class Type { test, all, any, negation, always };
  enum class Op { contains, equals, regex };
  Type type = Type::test;
  std::string field;  // "subject", "header:x-mailer"
  Op op = Op::contains;
  bool case_sensitive = false;
  bool accent_sensitive = false;
  std::vector<std::string> values;  // normalised as the text will be
  std::vector<std::regex> regexes;
  std::string text;  // as written, for the trace
  std::vector<std::shared_ptr<const Condition>> children;
};

const char* silence_name(Silence s) {
  switch (s) {
    case Silence::acceptance:
      return "acceptance";
    case Silence::rejection:
      return "rejection";
    case Silence::none:
      return "none";
  }
  return "none";
}

namespace {

const char* kFields[] = {"mailbox", "from", "from_domain", "to", "cc", "recipients", "subject", "body",
                         "attachment_name", "attachment_type"};

bool known_field(const std::string& f) {
  if (istarts_with(f, "header:") && f.size() > 7) return true;
  return std::any_of(std::begin(kFields), std::end(kFields), [&](const char* k) { return f == k; });
}

std::string normalise(const Condition& c, std::string_view text) {
  if (!c.accent_sensitive) return c.case_sensitive ? collapse_spaces(strip_accents(text)) : fold_text(text);
  return c.case_sensitive ? std::string(text) : to_lower(text);
}

// The texts a field offers in a mail; a test matches when any of them does.
std::vector<std::string> field_values(const std::string& field, const MessageView& v) {
  std::vector<std::string> out;
  const mail::Message& m = *v.message;
  auto addresses = [&](const std::vector<mail::Address>& list) {
    for (const auto& a : list) {
      out.push_back(a.address);
      if (!a.name.empty()) out.push_back(a.name);
    }
  };
  if (field == "mailbox") out.push_back(v.mailbox);
  else if (field == "from") addresses(m.from);
  else if (field == "from_domain") {
    for (const auto& a : m.from) out.push_back(a.address.substr(a.address.rfind('@') + 1));
  } else if (field == "to") addresses(m.to);
  else if (field == "cc") addresses(m.cc);
  else if (field == "recipients") {
    addresses(m.to);
    addresses(m.cc);
  } else if (field == "subject") out.push_back(m.subject);
  else if (field == "body") out.push_back(m.text);
  else if (field == "attachment_name") {
    for (const auto& a : m.attachments) out.push_back(a.filename);
  } else if (field == "attachment_type") {
    for (const auto& a : m.attachments) out.push_back(a.content_type);
  } else if (istarts_with(field, "header:")) {
    std::string name = to_lower(field.substr(7));
    for (const auto& [n, value] : m.headers) {
      if (n == name) out.push_back(value);
    }
  }
  return out;
}

bool test(const Condition& c, const MessageView& v) {
  for (const auto& raw : field_values(c.field, v)) {
    std::string text = c.op == Condition::Op::regex
                           ? (c.accent_sensitive ? raw : strip_accents(raw))
                           : normalise(c, raw);
    for (size_t i = 0; i < c.values.size(); ++i) {
      switch (c.op) {
        case Condition::Op::contains:
          if (text.find(c.values[i]) != std::string::npos) return true;
          break;
        case Condition::Op::equals:
          if (text == c.values[i]) return true;
          break;
        case Condition::Op::regex:
          if (std::regex_search(text, c.regexes[i])) return true;
          break;
      }
    }
  }
  return false;
}

// Evaluates `c`, writing one trace line per condition evaluated, parents before their children.
bool eval(const Condition& c, const MessageView& v, std::vector<std::string>& trace, int depth) {
  const size_t slot = trace.size();
  trace.emplace_back();  // this condition's line, filled once its result is known
  bool result = false;
  switch (c.type) {
    case Condition::Type::always:
      result = true;
      break;
    case Condition::Type::test:
      result = test(c, v);
      break;
    case Condition::Type::all:
      result = true;
      for (const auto& child : c.children) {
        if (!eval(*child, v, trace, depth + 1)) {
          result = false;
          break;  // the rest is not evaluated, and the trace shows it
        }
      }
      break;
    case Condition::Type::any:
      for (const auto& child : c.children) {
        if (eval(*child, v, trace, depth + 1)) {
          result = true;
          break;
        }
      }
      break;
    case Condition::Type::negation:
      result = !eval(*c.children.front(), v, trace, depth + 1);
      break;
  }
  trace[slot] = std::string(static_cast<size_t>(2 * depth), ' ') + c.text + ": " + (result ? "yes" : "no");
  return result;
}

class Loader {
 public:
  Loader(YamlDoc& doc, const directory::Directory& dir, const std::set<std::string>& templates)
      : doc_(doc), dir_(dir), templates_(templates) {}

  std::shared_ptr<const Condition> condition(const YAML::Node& n, int depth) {
    auto c = std::make_shared<Condition>();
    if (depth > 32) {
      doc_.error(n, "conditions nested too deeply");
      return c;
    }
    if (n.IsScalar() && n.Scalar() == "always") {
      c->type = Condition::Type::always;
      c->text = "always";
      return c;
    }
    if (!n.IsMap() || n.size() != 1) {
      doc_.error(n, "a condition is one field test (subject: …), all: […], any: […], not: … or always");
      return c;
    }
    const auto kv = *n.begin();
    const std::string key = kv.first.Scalar();
    const YAML::Node& value = kv.second;
    if (key == "all" || key == "any") {
      c->type = key == "all" ? Condition::Type::all : Condition::Type::any;
      c->text = key;
      if (!value.IsSequence() || value.size() == 0) {
        doc_.error(value, "\"" + key + "\" takes a non-empty list of conditions");
        return c;
      }
      for (const auto& item : value) c->children.push_back(condition(item, depth + 1));
      return c;
    }
    if (key == "not") {
      c->type = Condition::Type::negation;
      c->text = "not";
      c->children.push_back(condition(value, depth + 1));
      return c;
    }
    if (!known_field(key)) {
      std::string list = "all, any, not";
      for (const char* f : kFields) list += std::string(", ") + f;
      doc_.error(kv.first, "unknown field \"" + key + "\" (expected " + list + ", header:Name)");
      return c;
    }
    c->type = Condition::Type::test;
    c->field = istarts_with(key, "header:") ? "header:" + to_lower(key.substr(7)) : key;
    test_spec(*c, value);
    return c;
  }

  Rule rule(const YAML::Node& n, int number) {
    Rule r;
    r.place = doc_.file() + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
    doc_.check_keys(n, {"name", "when", "then", "continue"});
    if (auto v = doc_.string(n, "name", true)) r.name = *v;
    if (r.name.empty()) r.name = "#" + std::to_string(number);
    if (const YAML::Node w = n["when"]; w.IsDefined()) r.when = condition(w, 0);
    else doc_.error(n, "missing required key \"when\" (use \"when: always\" for a catch-all)");
    if (const YAML::Node t = n["then"]; t.IsDefined() && doc_.expect_map(t, "then")) r.then = action(t);
    else if (!t.IsDefined()) doc_.error(n, "missing required key \"then\"");
    if (auto v = doc_.boolean(n, "continue")) r.continue_matching = *v;
    return r;
  }

 private:
  void test_spec(Condition& c, const YAML::Node& value) {
    YAML::Node values;
    std::string op = "contains";
    if (value.IsMap()) {
      doc_.check_keys(value, {"contains", "equals", "regex", "in", "case_sensitive", "accent_sensitive"});
      int ops = 0;
      for (const char* o : {"contains", "equals", "regex", "in"}) {
        if (value[o].IsDefined()) {
          op = o;
          values = value[o];
          ++ops;
        }
      }
      if (ops != 1) {
        doc_.error(value, "give exactly one operator: contains, equals, regex or in");
        return;
      }
      if (auto b = doc_.boolean(value, "case_sensitive")) c.case_sensitive = *b;
      if (auto b = doc_.boolean(value, "accent_sensitive")) c.accent_sensitive = *b;
    } else {
      values = value;  // "subject: permis" means contains
    }
    c.op = op == "regex" ? Condition::Op::regex : (op == "contains" ? Condition::Op::contains : Condition::Op::equals);
    std::vector<std::pair<std::string, YAML::Node>> raw;
    if (values.IsScalar()) {
      raw.emplace_back(values.Scalar(), values);
    } else if (values.IsSequence() && values.size() > 0) {
      for (const auto& v : values) {
        if (v.IsScalar()) raw.emplace_back(v.Scalar(), v);
        else doc_.error(v, "a value to match must be a single value");
      }
    } else {
      doc_.error(values, "\"" + op + "\" takes a value or a non-empty list of values");
      return;
    }
    if (op == "in" && !values.IsSequence()) doc_.error(values, "\"in\" takes a list");
    std::string shown;
    for (const auto& [text, node] : raw) {
      shown += (shown.empty() ? "" : ", ") + ("\"" + text + "\"");
      if (c.op == Condition::Op::regex) {
        try {
          auto flags = std::regex::ECMAScript;
          if (!c.case_sensitive) flags |= std::regex::icase;
          c.regexes.emplace_back(c.accent_sensitive ? text : strip_accents(text), flags);
          c.values.push_back(text);
        } catch (const std::regex_error& e) {
          doc_.error(node, "bad regular expression \"" + text + "\": " + e.what());
        }
      } else {
        c.values.push_back(normalise(c, text));
      }
    }
    c.text = c.field + " " + op + " " + (raw.size() > 1 ? "[" + shown + "]" : shown);
  }

  Action action(const YAML::Node& n) {
    Action a;
    doc_.check_keys(n, {"department", "agent", "priority", "tags", "kind", "template", "acknowledge"});
    if (auto v = doc_.string(n, "department")) {
      if (!dir_.department(*v)) doc_.error(n["department"], "unknown department \"" + *v + "\"");
      a.department = *v;
    }
    if (auto v = doc_.string(n, "agent")) {
      a.agent = *v;
      if (*v != "round-robin" && *v != "least-loaded") {
        const auto* agent = dir_.agent(*v);
        if (!agent) {
          doc_.error(n["agent"], "unknown agent \"" + *v + "\" (an agent id, round-robin or least-loaded)");
        } else if (a.department &&
                   std::find(agent->departments.begin(), agent->departments.end(), *a.department) ==
                       agent->departments.end()) {
          doc_.error(n["agent"], "agent \"" + *v + "\" is not in department \"" + *a.department + "\"");
        }
      } else if (!a.department) {
        doc_.error(n["agent"], "\"" + *v + "\" needs a department in the same rule");
      }
    }
    if (auto v = doc_.string(n, "priority")) {
      if (*v != "low" && *v != "normal" && *v != "high" && *v != "urgent")
        doc_.error(n["priority"], "priority must be low, normal, high or urgent");
      a.priority = *v;
    }
    if (const YAML::Node t = n["tags"]; t.IsDefined()) {
      if (t.IsSequence()) {
        for (const auto& item : t) a.tags.push_back(item.Scalar());
      } else if (t.IsScalar()) {
        a.tags.push_back(t.Scalar());
      } else {
        doc_.error(t, "tags must be a list");
      }
    }
    if (const YAML::Node k = n["kind"]; k.IsDefined() && doc_.expect_map(k, "kind")) {
      doc_.check_keys(k, {"silence", "delay"});
      Kind kind;
      if (auto s = doc_.string(k, "silence", true)) {
        if (*s == "acceptance") kind.silence = Silence::acceptance;
        else if (*s == "rejection") kind.silence = Silence::rejection;
        else if (*s == "none") kind.silence = Silence::none;
        else doc_.error(k["silence"], "silence must be acceptance, rejection or none");
      }
      if (auto d = doc_.string(k, "delay")) {
        auto delay = calendar::Delay::parse(*d);
        if (delay) kind.delay = *delay;
        else doc_.error(k["delay"], delay.error().message);
      } else if (kind.silence != Silence::none) {
        doc_.error(k, "silence means acceptance or rejection only after a delay: add \"delay\"");
      }
      a.kind = kind;
    }
    if (auto v = doc_.string(n, "template")) {
      if (!templates_.count(*v)) doc_.error(n["template"], "unknown template \"" + *v + "\"");
      a.template_name = *v;
    }
    if (auto v = doc_.boolean(n, "acknowledge")) a.acknowledge = *v;
    return a;
  }

  YamlDoc& doc_;
  const directory::Directory& dir_;
  const std::set<std::string>& templates_;
};

void merge(Action& into, const Action& from) {
  if (from.department) into.department = from.department;
  if (from.agent) into.agent = from.agent;
  if (from.priority) into.priority = from.priority;
  for (const auto& t : from.tags) {
    if (std::find(into.tags.begin(), into.tags.end(), t) == into.tags.end()) into.tags.push_back(t);
  }
  if (from.kind) into.kind = from.kind;
  if (from.template_name) into.template_name = from.template_name;
  if (from.acknowledge) into.acknowledge = from.acknowledge;
}

Result<void> parse_into(std::vector<Rule>& rules, YamlDoc& doc, const directory::Directory& dir,
                        const std::set<std::string>& templates) {
  const YAML::Node& root = doc.root();
  if (root.IsNull()) return {};  // an empty file: no rules
  if (!root.IsSequence()) {
    doc.error(root, "a rules file is a list of rules (\"- name: …\")");
    return doc.result();
  }
  Loader loader(doc, dir, templates);
  for (const auto& n : root) {
    if (!doc.expect_map(n, "a rule")) continue;
    rules.push_back(loader.rule(n, static_cast<int>(rules.size()) + 1));
  }
  return doc.result();
}

}  // namespace

Result<RuleSet> RuleSet::parse(const std::string& text, const std::string& name, const directory::Directory& dir,
                               const std::set<std::string>& templates) {
  auto doc = YamlDoc::parse(text, name);
  if (!doc) return doc.error();
  RuleSet set;
  if (auto r = parse_into(set.rules_, *doc, dir, templates); !r) return r.error();
  return set;
}

Result<RuleSet> RuleSet::load(const std::string& path, const directory::Directory& dir,
                              const std::set<std::string>& templates) {
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (e.is_regular_file() && (e.path().extension() == ".yaml" || e.path().extension() == ".yml"))
        files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    return Error{Errc::config, path + ": no such rules file or folder"};
  }
  RuleSet set;
  std::string errors;
  for (const auto& f : files) {
    auto doc = YamlDoc::load(f);
    if (!doc) {
      errors += (errors.empty() ? "" : "\n") + doc.error().message;
      continue;
    }
    if (auto r = parse_into(set.rules_, *doc, dir, templates); !r)
      errors += (errors.empty() ? "" : "\n") + r.error().message;
  }
  if (!errors.empty()) return Error{Errc::config, errors};
  return set;
}

Evaluation RuleSet::evaluate(const MessageView& m) const {
  Evaluation ev;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    std::vector<std::string> lines;
    bool matched = r.when && eval(*r.when, m, lines, 1);
    ev.trace.push_back("rule #" + std::to_string(i + 1) + " \"" + r.name + "\" (" + r.place +
                       "): " + (matched ? "matched" : "no match"));
    ev.trace.insert(ev.trace.end(), lines.begin(), lines.end());
    if (!matched) continue;
    merge(ev.action, r.then);
    ev.matched.push_back(r.name);
    if (!r.continue_matching) break;
  }
  if (ev.matched.empty()) ev.trace.push_back("no rule matched: the mailbox's department applies");
  return ev;
}

}  // namespace guichet::routing
