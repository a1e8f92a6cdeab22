// Who may see and do what in the web view: rights are checked on the server for every page.
//   - an agent sees their departments' requests and those assigned to them, and acts on them;
//   - a department's head sees their department's;
//   - the pilot service (a `pilot: true` department) sees and acts on every request;
//   - an élu sees every request, or only the departments and tags the directory gives them, and
//     acts on none.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "store/store.h"

namespace guichet::web {

struct Person {
  std::string address, name;
  const directory::Agent* agent = nullptr;
  const directory::Elu* elu = nullptr;
  bool sees_all = false;
  std::vector<std::string> departments, tags;  // when not sees_all
  bool can_act = false;                        // agents: on what they see
  bool overview = false;                       // the live view and the figures

  bool may_see(const store::RequestInfo& r) const;
  store::SearchQuery scope() const;  // a search limited to what they see
};

// The person the directory knows at `address` (an agent's email or alias, an élu), or nullopt.
std::optional<Person> person_for(const directory::Directory& dir, const std::string& address);

}  // namespace guichet::web
