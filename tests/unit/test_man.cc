// The man pages (man/) against the code: every command and option of the command line, every key
// the configuration, directory and rules readers accept, every exit code; their examples load.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "config/config.h"
#include "directory/directory.h"
#include "helpers.h"
#include "routing/rules.h"

using namespace guichet;
using guichet::test::run_guichet;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string man_page(const std::string& name) {
  std::ifstream in(std::string(GUICHET_SOURCE_DIR) + "/man/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The lines of each `.Ss` subsection (and of each `.Sh` section, under its name).
std::map<std::string, std::vector<std::string>> sections_of(const std::string& page) {
  std::map<std::string, std::vector<std::string>> out;
  std::string current;
  for (const auto& line : lines_of(page)) {
    if (starts_with(line, ".Sh ") || starts_with(line, ".Ss ")) {
      current = line.substr(4);
      continue;
    }
    out[current].push_back(line);
  }
  return out;
}

// Whether `.It Cm key` (alone or among others: `.It Cm id , Cm name`) stands in `lines`.
bool documents(const std::vector<std::string>& lines, const std::string& key) {
  const std::string word = "Cm " + key;
  for (const auto& line : lines) {
    if (!starts_with(line, ".It ")) continue;
    for (size_t at = line.find(word); at != std::string::npos; at = line.find(word, at + 1)) {
      const size_t end = at + word.size();
      if (end == line.size() || line[end] == ' ') return true;
    }
  }
  return false;
}

// Keys by the section titles of their page.
void check_keys(const std::string& page, const std::vector<yaml::Keys>& keys,
                const std::map<std::string, std::string>& titles) {
  const auto sections = sections_of(man_page(page));
  for (const auto& k : keys) {
    const std::string title = titles.count(k.where) ? titles.at(k.where) : k.where;
    INFO(page << ", section \"" << title << "\"");
    REQUIRE(sections.count(title));
    for (const auto& name : k.names) {
      INFO("key " << name);
      CHECK(documents(sections.at(title), name));
    }
  }
}

// The literal blocks of a section (`.Bd -literal` … `.Ed`), each as text.
std::vector<std::string> literal_blocks(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& line : lines) {
    if (starts_with(line, ".Bd -literal")) {
      in = true;
      out.emplace_back();
    } else if (line == ".Ed") {
      in = false;
    } else if (in) {
      out.back() += line + "\n";
    }
  }
  return out;
}

// A subcommand's own options, from its --help ("--dry-run", "--to").
std::vector<std::string> options_of(const std::string& command) {
  auto r = run_guichet(command + " --help");
  REQUIRE(r.status == 0);
  std::vector<std::string> out;
  static const std::regex option(R"(^ +(?:-\w,)?--([a-z][a-z-]*))");
  for (const auto& line : lines_of(r.out)) {
    std::smatch m;
    if (std::regex_search(line, m, option) && m[1] != "help") out.push_back(m[1]);
  }
  return out;
}

// The subcommands --help lists after "Subcommands:".
std::vector<std::string> subcommands_of(const std::string& command) {
  auto r = run_guichet(command + " --help");
  REQUIRE(r.status == 0);
  std::vector<std::string> out;
  bool listing = false;
  static const std::regex name(R"(^  ([a-z][a-z-]*) )");
  for (const auto& line : lines_of(r.out)) {
    if (line == "Subcommands:") listing = true;
    std::smatch m;
    if (listing && std::regex_search(line, m, name)) out.push_back(m[1]);
  }
  return out;
}

}  // namespace

TEST_CASE("man: guichet.yaml(5) documents every key of the configuration and of the directory", "[man]") {
  check_keys("guichet.yaml.5", config::accepted_keys(), {{"", "The top level"}});
  check_keys("guichet.yaml.5", directory::accepted_keys(), {{"", "The directory file"}});
}

TEST_CASE("man: guichet-rules(5) documents every key, field and operator of the rules", "[man]") {
  check_keys("guichet-rules.5", routing::accepted_keys(),
             {{"rules", "A rule"}, {"fields", "Fields"}, {"operators", "Operators"}});
}

TEST_CASE("man: guichet(8) names every command, each of its options, and every exit code", "[man]") {
  const auto page = lines_of(man_page("guichet.8"));
  // The entry of a command: from its `.It Cm NAME` line to the next `.It Cm` or the list's end.
  auto entry = [&](const std::string& command) {
    std::vector<std::string> out;
    bool in = false;
    for (const auto& line : page) {
      if (starts_with(line, ".It Cm ") || line == ".El") {
        if (in) break;
        in = line == ".It Cm " + command || starts_with(line, ".It Cm " + command + " ");
      }
      if (in) out.push_back(line);
    }
    return out;
  };
  size_t commands = 0;
  for (const auto& top : subcommands_of("")) {
    std::vector<std::string> paths;
    const auto nested = subcommands_of(top);
    // `rules`, `deadlines` and `rgpd` are only their subcommands; `outbox` and `web` are both.
    if (nested.empty() || !options_of(top).empty() || top == "outbox") paths.push_back(top);
    for (const auto& sub : nested) paths.push_back(top + " " + sub);
    for (const auto& path : paths) {
      INFO("guichet " << path);
      const auto lines = entry(path);
      REQUIRE_FALSE(lines.empty());
      ++commands;
      std::string text;
      for (const auto& l : lines) text += l + "\n";
      for (const auto& o : options_of(path)) {
        INFO("option --" << o);
        CHECK(text.find("\\-" + o) != std::string::npos);
      }
    }
  }
  CHECK(commands >= 30);
  const auto sections = sections_of(man_page("guichet.8"));
  REQUIRE(sections.count("EXIT STATUS"));
  for (Errc code : {Errc::usage, Errc::data, Errc::no_input, Errc::software, Errc::io, Errc::temp_fail, Errc::config}) {
    const std::string item = ".It " + std::to_string(static_cast<int>(code));
    INFO(item);
    const auto& lines = sections.at("EXIT STATUS");
    CHECK(std::find(lines.begin(), lines.end(), item) != lines.end());
  }
}

TEST_CASE("man: the examples of the pages load as they are written", "[man]") {
  auto dir = directory::Directory::load(std::string(GUICHET_SOURCE_DIR) + "/etc/directory.yaml");
  REQUIRE(dir.ok());
  std::string rules;
  for (const auto& block : literal_blocks(sections_of(man_page("guichet-rules.5")).at("EXAMPLES"))) rules += block;
  auto loaded = routing::RuleSet::parse(rules, "guichet-rules.5", *dir, {"accuse-reception", "accuse-enregistrement"});
  INFO((loaded.ok() ? std::string() : loaded.error().message));
  REQUIRE(loaded.ok());
  CHECK(loaded->rules().size() == 5);

  const auto config_examples = literal_blocks(sections_of(man_page("guichet.yaml.5")).at("EXAMPLES"));
  REQUIRE(config_examples.size() == 1);
  auto config = config::parse(config_examples[0], "guichet.yaml.5", "/etc/guichet");
  INFO((config.ok() ? std::string() : config.error().message));
  REQUIRE(config.ok());
  REQUIRE(config->mailboxes.size() == 2);
  CHECK(config->mailboxes[1].oauth2.has_value());  // Microsoft 365 through OAuth2
  CHECK(config->retention.closed == "5 ans");
}
