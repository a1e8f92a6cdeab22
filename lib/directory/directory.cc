#include "directory/directory.h"

#include <cstdio>
#include <map>
#include <set>

#include "mail/address.h"
#include "util/strings.h"
#include "util/text_fold.h"
#include "yaml/yaml_doc.h"

namespace guichet::directory {

namespace {

const yaml::Keys kDepartmentKeys{"departments",
                                 {"id", "name", "email", "address", "phone", "head", "response_target", "escalation",
                                  "pilot", "remind_before", "escalate_after"}};
const yaml::Keys kAgentKeys{"agents",
                            {"id", "first_name", "last_name", "title", "address", "email", "departments", "anonymous",
                             "absent_until", "backup", "aliases"}};
const yaml::Keys kEluKeys{"elus", {"name", "email", "title", "departments", "tags"}};
const yaml::Keys kTopKeys{"", {"departments", "agents", "elus"}};

using yaml::YamlDoc;

std::vector<std::string> string_list(YamlDoc& doc, const YAML::Node& map, const char* key) {
  std::vector<std::string> out;
  const YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    doc.error(n, std::string("\"") + key + "\" must be a list");
    return out;
  }
  for (const auto& item : n) {
    if (item.IsScalar()) out.push_back(item.Scalar());
    else doc.error(item, std::string("\"") + key + "\" must list single values");
  }
  return out;
}

void check_email(YamlDoc& doc, const YAML::Node& map, const char* key, const std::string& value) {
  if (!value.empty() && !mail::is_plausible_address(value))
    doc.error(map[key], "\"" + value + "\" is not an email address");
}

std::optional<calendar::Date> parse_date(const std::string& s) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > calendar::days_in_month(y, m)) return std::nullopt;
  return calendar::Date{y, m, d};
}

// Ids travel in reply addresses and tokens (tokens/tokens.h): lower-case letters, digits, '-', '_'.
void check_id(YamlDoc& doc, const YAML::Node& n, const std::string& id) {
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      doc.error(n["id"], "id \"" + id + "\" may hold only lower-case letters, digits, '-' and '_'");
      return;
    }
  }
}

std::optional<calendar::Delay> read_delay(YamlDoc& doc, const YAML::Node& n, const char* key) {
  auto v = doc.string(n, key);
  if (!v) return std::nullopt;
  auto delay = calendar::Delay::parse(*v);
  if (delay) return *delay;
  doc.error(n[key], delay.error().message);
  return std::nullopt;
}

Department read_department(YamlDoc& doc, const YAML::Node& n) {
  Department d;
  doc.check_keys(n, kDepartmentKeys);
  if (auto v = doc.string(n, "id", true)) d.id = *v;
  check_id(doc, n, d.id);
  if (auto v = doc.string(n, "name", true)) d.name = *v;
  if (auto v = doc.string(n, "email", true)) d.email = *v;
  check_email(doc, n, "email", d.email);
  // R112-11-1 asks for the service's postal or email address and its phone; the paper rule both.
  if (auto v = doc.string(n, "address", true)) d.address = *v;
  if (auto v = doc.string(n, "phone", true)) d.phone = *v;
  if (auto v = doc.string(n, "head")) d.head = *v;
  d.response_target = read_delay(doc, n, "response_target");
  if (auto v = read_delay(doc, n, "remind_before")) d.remind_before = *v;
  if (auto v = read_delay(doc, n, "escalate_after")) d.escalate_after = *v;
  if (auto v = doc.boolean(n, "pilot")) d.pilot = *v;
  d.escalation = string_list(doc, n, "escalation");
  for (const auto& a : d.escalation) {
    if (!mail::is_plausible_address(a)) doc.error(n["escalation"], "\"" + a + "\" is not an email address");
  }
  return d;
}

Agent read_agent(YamlDoc& doc, const YAML::Node& n) {
  Agent a;
  doc.check_keys(n, kAgentKeys);
  if (auto v = doc.string(n, "id", true)) a.id = *v;
  check_id(doc, n, a.id);
  // L111-2: first name, last name, title and administrative address of the agent in charge.
  if (auto v = doc.string(n, "first_name", true)) a.first_name = *v;
  if (auto v = doc.string(n, "last_name", true)) a.last_name = *v;
  if (auto v = doc.string(n, "title", true)) a.title = *v;
  if (auto v = doc.string(n, "address")) a.address = *v;
  if (auto v = doc.string(n, "email", true)) a.email = *v;
  check_email(doc, n, "email", a.email);
  a.departments = string_list(doc, n, "departments");
  if (a.departments.empty()) doc.error(n, "agent \"" + a.id + "\" belongs to no department");
  if (auto v = doc.boolean(n, "anonymous")) a.anonymous = *v;
  if (auto v = doc.string(n, "absent_until")) {
    a.absent_until = parse_date(*v);
    if (!a.absent_until) doc.error(n["absent_until"], "absent_until must be a date, YYYY-MM-DD");
  }
  if (auto v = doc.string(n, "backup")) a.backup = *v;
  a.aliases = string_list(doc, n, "aliases");
  for (const auto& alias : a.aliases) {
    if (!mail::valid_address(alias)) doc.error(n["aliases"], "\"" + alias + "\" is not an email address");
  }
  return a;
}

Elu read_elu(YamlDoc& doc, const YAML::Node& n) {
  Elu e;
  doc.check_keys(n, kEluKeys);
  if (auto v = doc.string(n, "name", true)) e.name = *v;
  // An élu without an address could never log in nor receive a digest: refused, not ignored.
  if (auto v = doc.string(n, "email", true)) e.email = *v;
  check_email(doc, n, "email", e.email);
  if (auto v = doc.string(n, "title")) e.title = *v;
  e.departments = string_list(doc, n, "departments");
  e.tags = string_list(doc, n, "tags");
  return e;
}

}  // namespace

const Department* Directory::department(const std::string& id) const {
  for (const auto& d : departments_) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

const Agent* Directory::agent(const std::string& id) const {
  for (const auto& a : agents_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

std::vector<const Agent*> Directory::members(const std::string& department_id) const {
  std::vector<const Agent*> out;
  for (const auto& a : agents_) {
    for (const auto& d : a.departments) {
      if (d == department_id) out.push_back(&a);
    }
  }
  return out;
}

const Agent* Directory::agent_by_address(const std::string& address) const {
  for (const auto& a : agents_) {
    if (iequals(a.email, address)) return &a;
    for (const auto& alias : a.aliases)
      if (iequals(alias, address)) return &a;
  }
  return nullptr;
}

const Elu* Directory::elu_by_address(const std::string& address) const {
  for (const auto& e : elus_)
    if (iequals(e.email, address)) return &e;
  return nullptr;
}

const Department* Directory::find_department(const std::string& written) const {
  const std::string f = fold_text(written);
  for (const auto& d : departments_)
    if (fold_text(d.id) == f || fold_text(d.name) == f) return &d;
  return nullptr;
}

const Agent* Directory::find_agent(const std::string& written) const {
  const std::string f = fold_text(written);
  for (const auto& a : agents_) {
    if (fold_text(a.id) == f || iequals(a.email, written) || fold_text(a.first_name + " " + a.last_name) == f ||
        fold_text(a.last_name + " " + a.first_name) == f)
      return &a;
  }
  return nullptr;
}

bool Directory::is_pilot(const Agent& a) const {
  for (const auto& d : a.departments) {
    const Department* dep = department(d);
    if (dep && dep->pilot) return true;
  }
  return false;
}

const Agent* Directory::head_of(const std::string& department_id) const {
  const Department* d = department(department_id);
  return d && !d->head.empty() ? agent(d->head) : nullptr;
}

std::vector<const Department*> Directory::pilots() const {
  std::vector<const Department*> out;
  for (const auto& d : departments_)
    if (d.pilot) out.push_back(&d);
  return out;
}

bool Directory::is_absent(const Agent& a, calendar::Date on) const { return a.absent_until && on <= *a.absent_until; }

const Agent* Directory::assignee(const std::string& agent_id, const std::string& department_id,
                                 calendar::Date on) const {
  std::set<std::string> seen;
  const Agent* a = agent(agent_id);
  while (a && is_absent(*a, on) && seen.insert(a->id).second) a = a->backup.empty() ? nullptr : agent(a->backup);
  if (a && !is_absent(*a, on)) return a;
  const Department* d = department(department_id);
  if (d && !d->head.empty()) {
    const Agent* head = agent(d->head);
    if (head && !is_absent(*head, on)) return head;
  }
  return nullptr;
}

Result<Directory> Directory::load(const std::string& path) {
  auto doc = YamlDoc::load(path);
  if (!doc) return doc.error();
  return parse_doc(*doc);
}

Result<Directory> Directory::parse(const std::string& text, const std::string& name) {
  auto doc = YamlDoc::parse(text, name);
  if (!doc) return doc.error();
  return parse_doc(*doc);
}

Result<Directory> Directory::parse_doc(yaml::YamlDoc& doc) {
  Directory dir;
  const YAML::Node& root = doc.root();
  if (!doc.expect_map(root, "the directory")) return doc.result().error();
  doc.check_keys(root, kTopKeys);
  std::map<std::string, YAML::Node> department_nodes, agent_nodes;
  if (const YAML::Node ds = root["departments"]; ds.IsSequence()) {
    for (const auto& n : ds) {
      if (!doc.expect_map(n, "a department")) continue;
      Department d = read_department(doc, n);
      if (!d.id.empty() && !department_nodes.emplace(d.id, n).second)
        doc.error(n["id"], "department \"" + d.id + "\" is defined twice");
      dir.departments_.push_back(std::move(d));
    }
  } else {
    doc.error(root, "the directory needs a list of departments");
  }
  if (const YAML::Node as = root["agents"]; as.IsDefined() && !as.IsNull()) {
    if (!as.IsSequence()) {
      doc.error(as, "agents must be a list");
    } else {
      for (const auto& n : as) {
        if (!doc.expect_map(n, "an agent")) continue;
        Agent a = read_agent(doc, n);
        if (!a.id.empty() && !agent_nodes.emplace(a.id, n).second)
          doc.error(n["id"], "agent \"" + a.id + "\" is defined twice");
        dir.agents_.push_back(std::move(a));
      }
    }
  }
  if (const YAML::Node es = root["elus"]; es.IsDefined() && !es.IsNull()) {
    if (!es.IsSequence()) {
      doc.error(es, "elus must be a list");
    } else {
      for (const auto& n : es) {
        if (!doc.expect_map(n, "an élu")) continue;
        dir.elus_.push_back(read_elu(doc, n));
        for (const auto& d : dir.elus_.back().departments)
          if (!department_nodes.count(d)) doc.error(n["departments"], "unknown department \"" + d + "\"");
      }
    }
  }
  // An address names one person: a reply from it must say who wrote.
  std::map<std::string, std::string> owners;
  for (const auto& a : dir.agents_) {
    std::vector<std::string> addresses = a.aliases;
    addresses.push_back(a.email);
    for (const auto& address : addresses) {
      auto [it, fresh] = owners.emplace(to_lower(address), a.id);
      if (!fresh && it->second != a.id)
        doc.error(agent_nodes[a.id]["email"], "address " + address + " already belongs to agent \"" + it->second + "\"");
    }
  }
  // Cross-references, each reported where it is written.
  for (const auto& d : dir.departments_) {
    if (!d.head.empty() && !dir.agent(d.head)) doc.error(department_nodes[d.id]["head"], "unknown agent \"" + d.head + "\"");
  }
  for (const auto& a : dir.agents_) {
    const YAML::Node& n = agent_nodes[a.id];
    for (const auto& d : a.departments) {
      if (!dir.department(d)) doc.error(n["departments"], "unknown department \"" + d + "\"");
    }
    if (!a.backup.empty() && !dir.agent(a.backup)) doc.error(n["backup"], "unknown agent \"" + a.backup + "\"");
    if (a.backup == a.id && !a.id.empty()) doc.error(n["backup"], "an agent cannot be their own backup");
  }
  if (auto r = doc.result(); !r) return r.error();
  return dir;
}

std::vector<yaml::Keys> accepted_keys() { return {kTopKeys, kDepartmentKeys, kAgentKeys, kEluKeys}; }

}  // namespace guichet::directory
