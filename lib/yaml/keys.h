// The keys one kind of map accepts, and where that map stands in its file ("" for the top level,
// "mailboxes", "then"): the reader refuses any other (YamlDoc::check_keys), and the man pages
// document each one (tests/unit/test_man.cc holds them to it).
#pragma once

#include <string>
#include <vector>

namespace guichet::yaml {

struct Keys {
  std::string where;
  std::vector<std::string> names;
};

}  // namespace guichet::yaml
