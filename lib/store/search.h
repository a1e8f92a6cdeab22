// Search (schema/0007_search.sql): the request a resident, an élu or an agent has in mind, from
// a few words of it — a name in any spelling or part of it, an address, a word of the subject or
// of any message, an attachment's name, or the reference ("2026-42", "2026-000042").
//
// Queries are folded like the index (case, accents, ligatures, punctuation), civilities are dropped
// ("Mme Seccotine" is "seccotine"), every word must match, as the start of a word ("secco") or,
// for the requester's name and address, anywhere in them ("cotine"). A reference finds its request
// at once, an address the requests it takes part in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/kinds.h"

namespace guichet::store {

struct SearchQuery {
  std::string text;
  std::optional<RequestStatus> status;
  std::optional<std::string> department;
  // Rights (the web view): only these departments, or these tags, unless `everything`.
  bool everything = true;
  std::vector<std::string> departments, tags;
  std::optional<std::string> agent;  // also the requests assigned to this agent
  bool by_rank = false;              // best match first; default: the last activity first
  int limit = 20;
};

// The words of a query as the index holds them (folded, civilities dropped), and the reference it
// names when it names one ("2026-000042").
struct ParsedQuery {
  std::vector<std::string> words;
  std::optional<std::string> reference;
};
ParsedQuery parse_search(const std::string& text);

// The text the index holds for a piece of mail: folded.
std::string search_text(const std::string& utf8);

}  // namespace guichet::store
