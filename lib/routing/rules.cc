#include "routing/rules.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <re2/re2.h>
#include <tuple>

#include "yaml/yaml_doc.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::routing {

namespace fs = std::filesystem;
using yaml::YamlDoc;

struct Condition {
  enum class Type { test, all, any, negation, always };
  enum class Op { contains, equals, regex };
  Type type = Type::test;
  std::string field;  // "subject", "header:x-mailer"
  Op op = Op::contains;
  bool case_sensitive = false;
  bool accent_sensitive = false;
  std::vector<std::string> values;  // normalised as the text will be
  std::vector<std::shared_ptr<const re2::RE2>> regexes;
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

const yaml::Keys kRuleKeys{"rules", {"name", "when", "then", "continue"}};
const yaml::Keys kTestKeys{"operators", {"contains", "equals", "regex", "in", "case_sensitive", "accent_sensitive"}};
const yaml::Keys kThenKeys{"then", {"department", "agent", "priority", "tags", "kind", "template", "acknowledge"}};
const yaml::Keys kKindKeys{"kind", {"silence", "delay"}};

const char* kFields[] = {"mailbox", "from", "from_domain", "to", "cc", "recipients", "subject", "body",
                         "attachment_name", "attachment_type"};

bool known_field(const std::string& f) {
  if (istarts_with(f, "header:") && f.size() > 7) return true;
  return std::any_of(std::begin(kFields), std::end(kFields), [&](const char* k) { return f == k; });
}

// How a condition wants text prepared; values and mail text go through the same one.
enum class Mode { folded, accents_stripped, lower, raw };

Mode mode_of(const Condition& c) {
  if (c.op == Condition::Op::regex) return c.accent_sensitive ? Mode::raw : Mode::accents_stripped;
  if (!c.accent_sensitive) return c.case_sensitive ? Mode::accents_stripped : Mode::folded;
  return c.case_sensitive ? Mode::raw : Mode::lower;
}

std::string prepare(Mode mode, std::string_view text) {
  switch (mode) {
    case Mode::folded:
      return fold_text(text);
    case Mode::accents_stripped:
      return strip_accents(text);
    case Mode::lower:
      return to_lower(text);
    case Mode::raw:
      return std::string(text);
  }
  return std::string(text);
}

std::string normalise(const Condition& c, std::string_view text) {
  Mode m = mode_of(c);
  // Spacing is folded for contains/equals whatever the mode, as admins cannot see it.
  return m == Mode::folded ? fold_text(text) : collapse_spaces(prepare(m, text));
}

// The texts a field offers in a mail; a test matches when any of them does.
std::vector<std::string> raw_field_values(const std::string& field, const MessageView& v) {
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

// One evaluation's prepared field texts: the body is folded once, not once per rule.
class FieldCache {
 public:
  explicit FieldCache(const MessageView& v) : view_(v) {}
  const std::vector<std::string>& get(const Condition& c) {
    bool regex = c.op == Condition::Op::regex;
    auto key = std::make_tuple(c.field, static_cast<int>(mode_of(c)), regex);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    std::vector<std::string> values = raw_field_values(c.field, view_);
    for (auto& v : values) v = regex ? prepare(mode_of(c), v) : normalise(c, v);
    return cache_.emplace(std::move(key), std::move(values)).first->second;
  }

 private:
  const MessageView& view_;
  std::map<std::tuple<std::string, int, bool>, std::vector<std::string>> cache_;
};

bool test(const Condition& c, FieldCache& fields) {
  for (const auto& text : fields.get(c)) {
    for (size_t i = 0; i < c.values.size(); ++i) {
      switch (c.op) {
        case Condition::Op::contains:
          if (text.find(c.values[i]) != std::string::npos) return true;
          break;
        case Condition::Op::equals:
          if (text == c.values[i]) return true;
          break;
        case Condition::Op::regex:
          if (re2::RE2::PartialMatch(text, *c.regexes[i])) return true;
          break;
      }
    }
  }
  return false;
}

// Evaluates `c`, writing one trace line per condition evaluated, parents before their children.
bool eval(const Condition& c, FieldCache& v, std::vector<std::string>* trace, int depth) {
  const size_t slot = trace ? trace->size() : 0;
  if (trace) trace->emplace_back();  // this condition's line, filled once its result is known
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
  if (trace) (*trace)[slot] = std::string(static_cast<size_t>(2 * depth), ' ') + c.text + ": " + (result ? "yes" : "no");
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
    doc_.check_keys(n, kRuleKeys);
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
      doc_.check_keys(value, kTestKeys);
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
        re2::RE2::Options options;
        options.set_case_sensitive(c.case_sensitive);
        options.set_log_errors(false);
        auto re = std::make_shared<re2::RE2>(c.accent_sensitive ? text : strip_accents(text), options);
        if (re->ok()) {
          c.regexes.push_back(std::move(re));
          c.values.push_back(text);
        } else {
          doc_.error(node, "bad regular expression \"" + text + "\": " + re->error());
        }
      } else {
        c.values.push_back(normalise(c, text));
      }
    }
    c.text = c.field + " " + op + " " + (raw.size() > 1 ? "[" + shown + "]" : shown);
  }

  Action action(const YAML::Node& n) {
    Action a;
    doc_.check_keys(n, kThenKeys);
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
      doc_.check_keys(k, kKindKeys);
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

Evaluation RuleSet::evaluate(const MessageView& m, bool trace) const {
  Evaluation ev;
  FieldCache fields(m);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    std::vector<std::string> lines;
    bool matched = r.when && eval(*r.when, fields, trace ? &lines : nullptr, 1);
    if (trace) {
      ev.trace.push_back("rule #" + std::to_string(i + 1) + " \"" + r.name + "\" (" + r.place +
                         "): " + (matched ? "matched" : "no match"));
      ev.trace.insert(ev.trace.end(), lines.begin(), lines.end());
    }
    if (!matched) continue;
    merge(ev.action, r.then);
    ev.matched.push_back(r.name);
    if (!r.continue_matching) break;
  }
  if (ev.matched.empty() && trace) ev.trace.push_back("no rule matched: the mailbox's department applies");
  return ev;
}

std::vector<yaml::Keys> accepted_keys() {
  yaml::Keys fields{"fields", {"all", "any", "not", "always"}};
  for (const char* f : kFields) fields.names.emplace_back(f);
  return {kRuleKeys, fields, kTestKeys, kThenKeys, kKindKeys};
}

}  // namespace guichet::routing
