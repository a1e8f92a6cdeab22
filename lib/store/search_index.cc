// Keeping the search index current: rows for messages and requests, their scopes, and the
// requests queued for a new scope (store/search_index.h).
#include "store/search_index.h"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "mail/charset.h"
#include "store/search.h"
#include "util/strings.h"

namespace guichet::store {

namespace {

Result<std::optional<std::int64_t>> term_id_in_table(Database& db, const std::string& term, bool create) {
  auto get = db.cached("SELECT id FROM search_scope_terms WHERE term = ?1");
  if (!get) return get.error();
  (*get)->bind(1, term);
  auto row = (*get)->step();
  if (!row) return row.error();
  if (*row) {
    const std::int64_t id = (*get)->int64(0);
    (*get)->reset();
    return std::optional<std::int64_t>(id);
  }
  (*get)->reset();
  if (!create) return std::optional<std::int64_t>();
  auto put = db.cached("INSERT INTO search_scope_terms (term) VALUES (?1)");
  if (!put) return put.error();
  (*put)->bind(1, term);
  if (auto r = (*put)->run(); !r) return r.error();
  return std::optional<std::int64_t>(db.last_insert_id());
}

Result<std::optional<std::int64_t>> term_id(Database& db, const std::string& term, bool create) {
  // A term's id never changes once committed, and the connection's memo forgets what a rollback
  // undid: most mails look up the same few terms (their department, their agent). Only the
  // writer's lookups (`create`) use it: a reader (the web view) keeps asking the table, which a
  // restore under it would change.
  if (!create) return term_id_in_table(db, term, false);
  const std::string key = "scope_term:" + term;
  if (auto it = db.memo().find(key); it != db.memo().end()) return std::optional<std::int64_t>(it->second);
  auto found = term_id_in_table(db, term, create);
  if (found && *found) db.memo()[key] = **found;
  return found;
}

// The scope of a request whose department, agent and tags (JSON) are these, as the ids of its
// terms ("3 7 12"), sorted.
Result<std::string> scope_ids_from(Database& db, const std::optional<std::string>& department,
                                   const std::optional<std::string>& agent, const std::string& tags_json) {
  std::vector<std::string> terms;
  if (department) terms.push_back("department:" + *department);
  if (agent) terms.push_back("agent:" + *agent);
  if (tags_json != "[]") {  // most requests have none: no JSON to parse
    const auto tags = nlohmann::json::parse(tags_json, nullptr, false);
    if (tags.is_array())
      for (const auto& t : tags)
        if (t.is_string()) terms.push_back("tag:" + t.get<std::string>());
  }
  std::vector<std::int64_t> ids;
  for (const auto& t : terms) {
    auto id = term_id(db, t, true);
    if (!id) return id.error();
    ids.push_back(**id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  return out;
}

// The scope a request has now.
Result<std::string> scope_ids_of(Database& db, std::int64_t request_id) {
  auto st = db.cached("SELECT department, agent, tags FROM requests WHERE id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, request_id);
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) {
    (*st)->reset();
    return std::string();
  }
  const auto department = (*st)->opt_text(0), agent = (*st)->opt_text(1);
  const std::string tags = (*st)->text(2);
  (*st)->reset();
  return scope_ids_from(db, department, agent, tags);
}

// "3 7" as the index's words: U+E000 3, U+E000 7.
std::string scope_words(const std::string& ids) {
  std::string out;
  for (const auto& id : split(ids, ' ')) {
    if (id.empty()) continue;
    if (!out.empty()) out += ' ';
    out += kScopeMark;
    out += id;
  }
  return out;
}

Result<void> message_row(Database& db, std::int64_t row, const StoredMail& m, const std::string& ids, bool remove) {
  const char* sql =
      remove ? "INSERT INTO search (search, rowid, names, subject, body, files, scope) "
               "VALUES ('delete', ?1, ?2, ?3, ?4, ?5, ?6)"
             : "INSERT INTO search (rowid, names, subject, body, files, scope) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  return db.defer_write(
      {sql,
       row,
       {search_text(m.names), search_text(m.subject), search_text(m.text), search_text(m.files), scope_words(ids)}});
}

// Every spelling of a reference a person may type.
std::string reference_words(const std::string& reference) {
  const size_t dash = reference.find('-');
  if (dash == std::string::npos) return reference;
  const std::string year = reference.substr(0, dash), seq = reference.substr(dash + 1);
  const std::string short_seq = std::to_string(std::stol(seq));
  return reference + " " + year + seq + " " + year + "-" + short_seq + " " + short_seq;
}

// The scope ids the request's own rows were indexed with; none while it is not in the index.
Result<std::optional<std::string>> rows_scope(Database& db, std::int64_t id) {
  auto st = db.cached("SELECT terms FROM search_request_scope WHERE request_id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, id);
  auto row = (*st)->step();
  if (!row) return row.error();
  std::optional<std::string> out;
  if (*row) out = (*st)->text(0);
  (*st)->reset();
  return out;
}

}  // namespace

std::string index_names(std::string_view from_name, std::string_view from_address,
                        const std::vector<NamedAddress>& others) {
  std::string out;
  out.append(from_name).append(" ").append(from_address).append(" ");
  for (const auto& a : others) out.append(a.name).append(" ").append(a.address).append(" ");
  return out;
}

std::string names_in_headers(std::string_view from_name, std::string_view from_address, const std::string& headers) {
  const auto h = nlohmann::json::parse(headers, nullptr, false);
  std::vector<NamedAddress> others;
  if (h.is_object()) {
    auto text_of = [](const nlohmann::json& a, const char* key) -> std::string_view {
      const auto it = a.find(key);
      return it != a.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                              : std::string_view();
    };
    for (const char* key : {"to", "cc", "reply_to"}) {
      const auto list = h.find(key);
      if (list == h.end() || !list->is_array()) continue;
      for (const auto& a : *list)
        if (a.is_object()) others.push_back({text_of(a, "name"), text_of(a, "address")});
    }
  }
  return index_names(from_name, from_address, others);
}

std::string names_of_mail(const mail::Message& m, const std::string& headers) {
  const mail::Address from = m.from.empty() ? mail::Address{} : m.from.front();
  std::vector<NamedAddress> others;
  for (const auto* list : {&m.to, &m.cc, &m.reply_to})
    for (const auto& a : *list) {
      if (!mail::is_valid_utf8(a.name) || !mail::is_valid_utf8(a.address))
        return names_in_headers(from.name, from.address, headers);
      others.push_back({a.name, a.address});
    }
  return index_names(from.name, from.address, others);
}

StoredMail stored_mail(const Statement& s, int first) {
  const std::string from_name = s.text(first), from_address = s.text(first + 1);
  return {from_name,         from_address,      names_in_headers(from_name, from_address, s.text(first + 2)),
          s.text(first + 3), s.text(first + 4), s.text(first + 5)};
}

Result<std::optional<std::string>> scope_term(Database& db, const std::string& term, bool create) {
  auto id = term_id(db, term, create);
  if (!id) return id.error();
  if (!*id) return std::optional<std::string>();
  return std::optional<std::string>(std::string(kScopeMark) + std::to_string(**id));
}

Result<void> index_stored_message(Database& db, std::int64_t row, std::int64_t request_id, const StoredMail& m) {
  // Most mails join a request whose rows were given its scope a moment or a year ago: read, not
  // worked out again (a tenth of what the index cost the ingest, bench/search.sh).
  auto given = rows_scope(db, request_id);
  if (!given) return given.error();
  auto ids = *given ? Result<std::string>(**given) : scope_ids_of(db, request_id);
  if (!ids) return ids.error();
  if (auto r = message_row(db, row, m, *ids, false); !r) return r;
  auto st = db.cached("INSERT INTO search_scope (message_id, terms) VALUES (?1, ?2)");
  if (!st) return st.error();
  (*st)->bind(1, row).bind(2, *ids);
  return (*st)->run();
}

Result<void> index_request_rows(Database& db, std::int64_t id, bool remove) {
  // What the request's rows were given, if it has any: a request not in the index (yet, while an
  // older database is being indexed) is neither removed nor added twice.
  auto given = rows_scope(db, id);
  if (!given) return given.error();
  if (remove != given->has_value()) return {};
  auto r = db.cached(
      "SELECT reference, requester_name, requester_address, requester_phone, requester_postal, subject, department, "
      "agent, tags FROM requests WHERE id = ?1");
  if (!r) return r.error();
  (*r)->bind(1, id);
  auto row = (*r)->step();
  if (!row) return row.error();
  if (!*row) return {};
  const std::string ref = search_text(reference_words((*r)->text(0)));
  const std::string names =
      search_text((*r)->text(1) + " " + (*r)->text(2) + " " + (*r)->text(3) + " " + (*r)->text(4));
  const std::string subject = search_text((*r)->text(5));
  const auto department = (*r)->opt_text(6), agent = (*r)->opt_text(7);
  const std::string tags = (*r)->text(8);
  (*r)->reset();
  std::string ids;
  if (remove) {
    ids = **given;
  } else {
    auto now = scope_ids_from(db, department, agent, tags);
    if (!now) return now.error();
    ids = std::move(*now);
  }
  if (auto res = db.defer_write({remove ? "INSERT INTO search_requests (search_requests, rowid, ref, names, subject, "
                                          "scope) VALUES ('delete', ?1, ?2, ?3, ?4, ?5)"
                                        : "INSERT INTO search_requests (rowid, ref, names, subject, scope) "
                                          "VALUES (?1, ?2, ?3, ?4, ?5)",
                                 id,
                                 {ref, names, subject, scope_words(ids)}});
      !res)
    return res;
  // The trigrams of the requester's names: partial names from the middle ("cotine").
  if (auto res =
          db.defer_write({remove ? "INSERT INTO search_names (search_names, rowid, names) VALUES ('delete', ?1, ?2)"
                                 : "INSERT INTO search_names (rowid, names) VALUES (?1, ?2)",
                          id,
                          {names}});
      !res)
    return res;
  auto kept = db.cached(remove ? "DELETE FROM search_request_scope WHERE request_id = ?1"
                               : "INSERT INTO search_request_scope (request_id, terms) VALUES (?1, ?2)");
  if (!kept) return kept.error();
  (*kept)->bind(1, id);
  if (!remove) (*kept)->bind(2, ids);
  return (*kept)->run();
}

Result<void> unindex_request_messages(Database& db, std::int64_t request_id) {
  auto msgs = db.cached(std::string("SELECT m.id, s.terms, ") + kStoredMailColumns +
                        " FROM messages m JOIN search_scope s ON s.message_id = m.id WHERE m.request_id = ?1");
  if (!msgs) return msgs.error();
  (*msgs)->bind(1, request_id);
  std::vector<std::pair<std::int64_t, std::pair<std::string, StoredMail>>> rows;
  auto each = (*msgs)->each([&](const Statement& s) { rows.push_back({s.int64(0), {s.text(1), stored_mail(s, 2)}}); });
  if (!each) return each;
  for (const auto& [id, given] : rows) {
    if (auto r = message_row(db, id, given.second, given.first, true); !r) return r;
    auto st = db.cached("DELETE FROM search_scope WHERE message_id = ?1");
    if (!st) return st.error();
    (*st)->bind(1, id);
    if (auto r = (*st)->run(); !r) return r;
  }
  return {};
}

Result<void> apply_search_rescopes(Database& db) {
  auto queued = db.cached("SELECT request_id FROM search_rescope ORDER BY request_id");
  if (!queued) return queued.error();
  std::vector<std::int64_t> requests;
  if (auto r = (*queued)->each([&](const Statement& s) { requests.push_back(s.int64(0)); }); !r) return r;
  for (const std::int64_t id : requests) {
    auto ids = scope_ids_of(db, id);
    if (!ids) return ids.error();
    // Its messages whose rows carry another scope (those not in the index yet get theirs when
    // they are indexed).
    auto msgs = db.cached(std::string("SELECT m.id, s.terms, ") + kStoredMailColumns +
                          " FROM messages m JOIN search_scope s ON s.message_id = m.id "
                          "WHERE m.request_id = ?1 AND s.terms <> ?2");
    if (!msgs) return msgs.error();
    (*msgs)->bind(1, id).bind(2, *ids);
    struct Row {
      std::int64_t id;
      std::string old_ids;
      StoredMail m;
    };
    std::vector<Row> rows;
    auto each = (*msgs)->each([&](const Statement& s) { rows.push_back({s.int64(0), s.text(1), stored_mail(s, 2)}); });
    if (!each) return each;
    for (const auto& row : rows) {
      if (auto r = message_row(db, row.id, row.m, row.old_ids, true); !r) return r;
      if (auto r = message_row(db, row.id, row.m, *ids, false); !r) return r;
      auto st = db.cached("UPDATE search_scope SET terms = ?2 WHERE message_id = ?1");
      if (!st) return st.error();
      (*st)->bind(1, row.id).bind(2, *ids);
      if (auto r = (*st)->run(); !r) return r;
    }
    auto given = rows_scope(db, id);
    if (!given) return given.error();
    if (*given && **given != *ids) {
      if (auto r = index_request_rows(db, id, true); !r) return r;
      if (auto r = index_request_rows(db, id, false); !r) return r;
    }
    auto done = db.cached("DELETE FROM search_rescope WHERE request_id = ?1");
    if (!done) return done.error();
    (*done)->bind(1, id);
    if (auto r = (*done)->run(); !r) return r;
  }
  return {};
}

}  // namespace guichet::store
