// YamlDoc: one YAML file read the way admins deserve (style of OpenSMTPD's parse.y): every problem
// is collected with its place, "file:line:column: what is wrong", and the caller refuses the whole
// file if there is any. yaml-cpp 0.7 accepts duplicate keys silently (first wins) and only says
// "bad conversion" for a wrong type: both are checked here. Positions are 1-based.
#pragma once

#include <optional>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

#include "util/result.h"
#include "yaml/keys.h"

namespace guichet::yaml {

class YamlDoc {
 public:
  // Reads and parses `path`; a syntax error is returned as an Error (Errc::config) with its place.
  static Result<YamlDoc> load(const std::string& path);
  static Result<YamlDoc> parse(const std::string& text, const std::string& name);

  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }

  void error(const YAML::Node& at, const std::string& message);
  const std::vector<std::string>& errors() const { return errors_; }
  // All errors joined by newlines, as one Error; ok when there are none.
  Result<void> result() const;

  // Reports keys of `map` not in `allowed` ("unknown key \"departement\"").
  void check_keys(const YAML::Node& map, const Keys& allowed);
  bool expect_map(const YAML::Node& node, const std::string& what);

  // Typed getters: report a wrong type or a missing required key, and return nullopt then.
  std::optional<std::string> string(const YAML::Node& map, const char* key, bool required = false);
  std::optional<long> integer(const YAML::Node& map, const char* key, long min, long max);
  std::optional<bool> boolean(const YAML::Node& map, const char* key);

 private:
  YamlDoc(const YAML::Node& root, std::string file);
  void check_duplicates(const YAML::Node& node, int depth);

  YAML::Node root_;
  std::string file_;
  std::vector<std::string> errors_;
};

}  // namespace guichet::yaml
