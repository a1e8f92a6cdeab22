// The search index (schema/0007_search.sql) and its queries; part of Store (store/store.h).
#include "store/search.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::store {

namespace {

constexpr std::int64_t kRequestRow = std::int64_t{1} << 40;

bool word_char(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

std::vector<std::string> words_of(const std::string& folded) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : folded) {
    if (word_char(c)) {
      cur.push_back(static_cast<char>(c));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool civility(const std::string& w) {
  static const std::unordered_set<std::string> words = {"m",      "mr",     "mme",        "mlle",   "mmes", "mm",
                                                       "madame", "monsieur", "mademoiselle", "dr", "me",   "docteur",
                                                       "maitre"};
  return words.count(w) > 0;
}

bool digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), ::isdigit); }

// The reference written as "2026-42", "2026-000042", "2026/42", "2026 42" or "M2026-000012".
std::optional<std::string> reference_in(const std::string& text) {
  std::string t(trim(text));
  std::string prefix;
  if (!t.empty() && (t[0] == 'M' || t[0] == 'm')) {
    prefix = "M";
    t.erase(0, 1);
  }
  for (char sep : {'-', '/', ' ', '.'}) {
    const size_t at = t.find(sep);
    if (at == 4 && digits(t.substr(0, 4)) && digits(std::string_view(t).substr(5)) && t.size() - 5 <= 6) {
      const long n = std::stol(t.substr(5));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%s-%06ld", prefix.c_str(), t.substr(0, 4).c_str(), n);
      return std::string(buf);
    }
  }
  if (t.size() == 10 && digits(t)) return prefix + t.substr(0, 4) + "-" + t.substr(4);  // 2026000042
  return std::nullopt;
}

// Every spelling of a reference a person may type.
std::string reference_words(const std::string& reference) {
  const size_t dash = reference.find('-');
  if (dash == std::string::npos) return reference;
  const std::string year = reference.substr(0, dash), seq = reference.substr(dash + 1);
  const std::string short_seq = std::to_string(std::stol(seq));
  return reference + " " + year + seq + " " + year + "-" + short_seq + " " + short_seq;
}

std::string names_of(const mail::Message& m) {
  std::string out;
  for (const auto* list : {&m.from, &m.to, &m.cc, &m.reply_to}) {
    for (const auto& a : *list) out += a.name + " " + a.address + " ";
  }
  return out;
}

std::string files_of(const mail::Message& m) {
  std::string out;
  for (const auto& a : m.attachments) out += a.filename + " ";
  return out;
}

}  // namespace

std::string search_text(const std::string& utf8) { return fold_text(utf8); }

ParsedQuery parse_search(const std::string& text) {
  ParsedQuery q;
  q.reference = reference_in(text);
  for (auto& w : words_of(fold_text(text)))
    if (!civility(w)) q.words.push_back(std::move(w));
  return q;
}

// ---- Store: keeping the index current ----

Result<void> Store::index_message(std::int64_t row, const mail::Message& m) {
  const std::string names = search_text(names_of(m));
  auto st = impl_stmt("INSERT INTO search (rowid, ref, names, subject, body, files) VALUES (?1, '', ?2, ?3, ?4, ?5)");
  if (!st) return st.error();
  (*st)->bind(1, row).bind(2, names).bind(3, search_text(m.subject)).bind(4, search_text(m.text));
  (*st)->bind(5, search_text(files_of(m)));
  if (auto r = (*st)->run(); !r) return r;
  auto n = impl_stmt("INSERT INTO search_names (rowid, names) VALUES (?1, ?2)");
  if (!n) return n.error();
  (*n)->bind(1, row).bind(2, names);
  return (*n)->run();
}

Result<void> Store::index_request(std::int64_t id, bool remove) {
  auto r = impl_stmt(
      "SELECT reference, requester_name, requester_address, requester_phone, requester_postal, subject FROM requests "
      "WHERE id = ?1");
  if (!r) return r.error();
  (*r)->bind(1, id);
  auto row = (*r)->step();
  if (!row) return row.error();
  if (!*row) return {};
  const std::string ref = search_text(reference_words((*r)->text(0)));
  const std::string names =
      search_text((*r)->text(1) + " " + (*r)->text(2) + " " + (*r)->text(3) + " " + (*r)->text(4));
  const std::string subject = search_text((*r)->text(5));
  (*r)->reset();
  // A contentless table forgets a row by being given its values again.
  auto st = impl_stmt(remove ? "INSERT INTO search (search, rowid, ref, names, subject, body, files) "
                               "VALUES ('delete', ?1, ?2, ?3, ?4, '', '')"
                             : "INSERT INTO search (rowid, ref, names, subject, body, files) VALUES (?1, ?2, ?3, ?4, '', '')");
  if (!st) return st.error();
  (*st)->bind(1, kRequestRow + id).bind(2, ref).bind(3, names).bind(4, subject);
  if (auto res = (*st)->run(); !res) return res;
  auto n = impl_stmt(remove ? "INSERT INTO search_names (search_names, rowid, names) VALUES ('delete', ?1, ?2)"
                            : "INSERT INTO search_names (rowid, names) VALUES (?1, ?2)");
  if (!n) return n.error();
  (*n)->bind(1, kRequestRow + id).bind(2, names);
  return (*n)->run();
}

Result<void> Store::build_search_index(const std::function<void(std::int64_t done, std::int64_t total)>& progress) {
  auto number = [&](const char* key) -> Result<std::int64_t> {
    auto v = setting(key);
    if (!v) return v.error();
    return *v ? std::stoll(**v) : 0;
  };
  auto until_m = number("search_build_messages"), until_r = number("search_build_requests");
  if (!until_m) return until_m.error();
  if (!until_r) return until_r.error();
  auto done_m = number("search_built_messages"), done_r = number("search_built_requests");
  if (!done_m) return done_m.error();
  if (!done_r) return done_r.error();
  if (*done_m >= *until_m && *done_r >= *until_r) return {};
  const std::int64_t total = *until_m + *until_r;
  // Batches of 2,000, each its own transaction: an interrupted build resumes where it stopped.
  for (std::int64_t at = *done_r; at < *until_r;) {
    auto tx = transaction();
    if (!tx) return tx.error();
    const std::int64_t end = std::min(at + 2000, *until_r);
    for (std::int64_t id = at + 1; id <= end; ++id)
      if (auto r = index_request(id, false); !r) return r;
    if (auto r = put_setting("search_built_requests", std::to_string(end)); !r) return r;
    if (auto r = tx->commit(); !r) return r;
    at = end;
    if (progress) progress(at, total);
  }
  for (std::int64_t at = *done_m; at < *until_m;) {
    auto tx = transaction();
    if (!tx) return tx.error();
    const std::int64_t end = std::min(at + 2000, *until_m);
    auto st = impl_stmt(
        "SELECT id, from_name, from_address, headers, subject, text, "
        "(SELECT group_concat(filename, ' ') FROM attachments WHERE message_id = messages.id) "
        "FROM messages WHERE id > ?1 AND id <= ?2 ORDER BY id");
    if (!st) return st.error();
    (*st)->bind(1, at).bind(2, end);
    struct Doc {
      std::int64_t id;
      mail::Message m;
    };
    std::vector<Doc> docs;
    auto each = (*st)->each([&](const Statement& s) {
      Doc d{s.int64(0), {}};
      d.m.from = {{s.text(1), s.text(2)}};
      auto h = nlohmann::json::parse(s.text(3), nullptr, false);
      auto addresses = [&](const char* key, std::vector<mail::Address>& into) {
        if (h.is_object() && h.contains(key) && h[key].is_array())
          for (const auto& a : h[key]) into.push_back({a.value("name", ""), a.value("address", "")});
      };
      addresses("to", d.m.to);
      addresses("cc", d.m.cc);
      addresses("reply_to", d.m.reply_to);
      d.m.subject = s.text(4);
      d.m.text = s.text(5);
      if (!s.is_null(6)) d.m.attachments.push_back({s.text(6), "", 0, "", ""});
      docs.push_back(std::move(d));
    });
    if (!each) return each.error();
    for (const auto& d : docs)
      if (auto r = index_message(d.id, d.m); !r) return r;
    if (auto r = put_setting("search_built_messages", std::to_string(end)); !r) return r;
    if (auto r = tx->commit(); !r) return r;
    at = end;
    if (progress) progress(*until_r + at, total);
  }
  return {};
}

// ---- Store: queries ----

Result<std::vector<RequestInfo>> Store::search(const SearchQuery& q) {
  const ParsedQuery parsed = parse_search(q.text);
  std::vector<std::int64_t> ids;  // requests, best first
  std::unordered_set<std::int64_t> seen;
  auto add = [&](std::int64_t id) {
    if (seen.insert(id).second) ids.push_back(id);
  };
  if (parsed.reference) {
    auto r = find_request(*parsed.reference);
    if (!r) return r.error();
    if (*r) add((*r)->id);
  }
  auto request_of = [&](std::int64_t rowid) -> Result<std::optional<std::int64_t>> {
    if (rowid >= kRequestRow) return std::optional<std::int64_t>(rowid - kRequestRow);
    auto st = impl_stmt("SELECT request_id FROM messages WHERE id = ?1");
    if (!st) return st.error();
    (*st)->bind(1, rowid);
    auto row = (*st)->step();
    if (!row) return row.error();
    std::optional<std::int64_t> id;
    if (*row) id = (*st)->int64(0);
    (*st)->reset();
    return id;
  };
  // Rows matching every word, newest first (rowids grow with time), mapped to their requests.
  auto collect = [&](const std::string& table, const std::string& match, size_t cap,
                     std::vector<std::int64_t>& into) -> Result<void> {
    auto st = impl_stmt("SELECT rowid FROM " + table + " WHERE " + table + " MATCH ?1 ORDER BY rowid DESC LIMIT ?2");
    if (!st) return st.error();
    (*st)->bind(1, match).bind(2, static_cast<std::int64_t>(cap));
    std::vector<std::int64_t> rows;
    if (auto r = (*st)->each([&](const Statement& s) { rows.push_back(s.int64(0)); }); !r) return r;
    for (auto rowid : rows) {
      auto id = request_of(rowid);
      if (!id) return id.error();
      if (*id) into.push_back(**id);
    }
    return {};
  };
  if (!parsed.words.empty()) {
    // Words are folded to letters and digits: safe inside quotes. Two letters or fewer: whole
    // words only ("de" would match every mail as a prefix).
    std::string all;
    for (const auto& w : parsed.words) all += (all.empty() ? "" : " AND ") + ("\"" + w + "\"" + (w.size() > 2 ? "*" : ""));
    std::vector<std::int64_t> found;
    if (auto r = collect("search", all, 2000, found); !r) return r.error();
    // Nothing: a word may be the middle of a name ("cotine"): each word in the words or in the
    // names as trigrams, the requests having them all.
    if (found.empty()) {
      std::optional<std::unordered_set<std::int64_t>> common;
      for (const auto& w : parsed.words) {
        std::vector<std::int64_t> these;
        if (auto r = collect("search", "\"" + w + "\"" + (w.size() > 2 ? "*" : ""), 5000, these); !r) return r.error();
        if (w.size() >= 3) {
          if (auto r = collect("search_names", "\"" + w + "\"", 5000, these); !r) return r.error();
        }
        std::unordered_set<std::int64_t> set(these.begin(), these.end());
        if (!common) {
          common = std::move(set);
          found = these;
        } else {
          std::unordered_set<std::int64_t> both;
          for (auto id : set)
            if (common->count(id)) both.insert(id);
          common = std::move(both);
        }
      }
      std::vector<std::int64_t> kept;
      for (auto id : found)
        if (common && common->count(id)) kept.push_back(id);
      found = std::move(kept);
    }
    for (auto id : found) add(id);
  }
  // The requests themselves, filtered (status, department, rights), in the order asked.
  std::vector<RequestInfo> out;
  for (auto id : ids) {
    auto r = request_summary(id);
    if (!r) return r.error();
    if (!*r || (*r)->merged_into) continue;
    const RequestInfo& info = **r;
    if (q.status && info.status != *q.status) continue;
    if (q.department && info.department != q.department) continue;
    if (!q.everything) {
      bool allowed = q.agent && info.agent == q.agent;
      for (const auto& d : q.departments) allowed = allowed || info.department == d;
      for (const auto& t : q.tags) allowed = allowed || info.tags_json.find("\"" + t + "\"") != std::string::npos;
      if (!allowed) continue;
    }
    out.push_back(info);
    if (static_cast<int>(out.size()) >= q.limit * 4) break;
  }
  if (!q.by_rank) {
    std::stable_sort(out.begin(), out.end(), [](const RequestInfo& a, const RequestInfo& b) {
      return a.last_message_at.value_or(a.received_at) > b.last_message_at.value_or(b.received_at);
    });
  }
  if (static_cast<int>(out.size()) > q.limit) out.resize(static_cast<size_t>(q.limit));
  return out;
}

}  // namespace guichet::store
