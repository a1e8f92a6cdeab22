#include "yaml/yaml_doc.h"

#include <fstream>
#include <set>
#include <sstream>

namespace guichet::yaml {

namespace {
std::string place(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}
}  // namespace

YamlDoc::YamlDoc(const YAML::Node& root, std::string file) : root_(root), file_(std::move(file)) {
  check_duplicates(root_, 0);
}

Result<YamlDoc> YamlDoc::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errc::config, path + ": cannot read file"};
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Result<YamlDoc> YamlDoc::parse(const std::string& text, const std::string& name) {
  try {
    return YamlDoc(YAML::Load(text), name);
  } catch (const YAML::Exception& e) {
    return Error{Errc::config, place(name, e.mark) + ": " + e.msg};
  }
}

void YamlDoc::error(const YAML::Node& at, const std::string& message) {
  errors_.push_back(place(file_, at.Mark()) + ": " + message);
}

Result<void> YamlDoc::result() const {
  if (errors_.empty()) return {};
  std::string all;
  for (const auto& e : errors_) {
    if (!all.empty()) all += '\n';
    all += e;
  }
  return Error{Errc::config, all};
}

void YamlDoc::check_duplicates(const YAML::Node& node, int depth) {
  if (depth > 64) return;
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && !seen.insert(kv.first.Scalar()).second)
        error(kv.first, "duplicate key \"" + kv.first.Scalar() + "\" (only the first would count)");
      check_duplicates(kv.second, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_duplicates(item, depth + 1);
  }
}

bool YamlDoc::expect_map(const YAML::Node& node, const std::string& what) {
  if (node.IsMap()) return true;
  error(node, what + " must be a mapping of keys to values");
  return false;
}

void YamlDoc::check_keys(const YAML::Node& map, const Keys& allowed) {
  if (!map.IsMap()) return;
  for (const auto& kv : map) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    bool known = false;
    for (const auto& a : allowed.names) known = known || key == a;
    if (!known) {
      std::string list;
      for (const auto& a : allowed.names) {
        if (!list.empty()) list += ", ";
        list += a;
      }
      error(kv.first, "unknown key \"" + key + "\" (expected one of: " + list + ")");
    }
  }
}

std::optional<std::string> YamlDoc::string(const YAML::Node& map, const char* key, bool required) {
  const YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) {
    if (required) error(map, std::string("missing required key \"") + key + "\"");
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    error(n, std::string("\"") + key + "\" must be a single value");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<long> YamlDoc::integer(const YAML::Node& map, const char* key, long min, long max) {
  const YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  try {
    long v = n.as<long>();
    if (v < min || v > max) {
      error(n, std::string("\"") + key + "\" must be between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
    return v;
  } catch (const YAML::Exception&) {
    error(n, std::string("\"") + key + "\" must be a whole number");
    return std::nullopt;
  }
}

std::optional<bool> YamlDoc::boolean(const YAML::Node& map, const char* key) {
  const YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  try {
    return n.as<bool>();
  } catch (const YAML::Exception&) {
    error(n, std::string("\"") + key + "\" must be true or false");
    return std::nullopt;
  }
}

}  // namespace guichet::yaml
