// Keeping the search index (schema/0007_search.sql, 0009_search_scope.sql) current, over one
// connection: what Store's writes call. The queries are in store/search.h.
//
// The index's tables are contentless: a row is removed by giving it the same values again. So a
// message's row is always made from what the messages table stores (StoredMail), never from the
// parsed mail, and the scope it was given is kept (search_scope): the row can be given again,
// term for term, when its request changes department, agent or tags.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/message.h"
#include "store/sqlite.h"

namespace guichet::store {

// A message as the messages table holds it: the sender's name and address, the names and
// addresses of its To, Cc and Reply-To (as index_names makes them from the headers' JSON), the
// subject, the text, and the attachments' names joined by spaces.
struct StoredMail {
  std::string from_name, from_address, names, subject, text, files;
};

// The names a message's row holds: the sender's name and address, then those of each address of
// To, Cc and Reply-To in the order given. One definition for the ingest (from the parsed mail)
// and for every later path (from the stored headers: names_in_headers), so that both give the
// same words.
struct NamedAddress {
  std::string_view name, address;
};
std::string index_names(std::string_view from_name, std::string_view from_address,
                        const std::vector<NamedAddress>& others);
// The same from the headers' JSON as the messages table stores it (store.cc, headers_json).
std::string names_in_headers(std::string_view from_name, std::string_view from_address, const std::string& headers);
// The same from the parsed mail, at ingest, rather than by parsing its `headers` JSON again; from
// `headers` when a name is not UTF-8 (the JSON holds it replaced). Equal to names_in_headers.
std::string names_of_mail(const mail::Message& m, const std::string& headers);

// The columns a StoredMail is read from, over `messages m`, and the mail read from them starting
// at column `first`: one definition for every path that gives the index a message's row, so that
// a row is always given back with the values it was added with.
inline constexpr const char* kStoredMailColumns =
    "m.from_name, m.from_address, m.headers, m.subject, m.text, "
    "(SELECT group_concat(filename, ' ') FROM attachments WHERE message_id = m.id)";
StoredMail stored_mail(const Statement& s, int first);

// Adds the message's row, with its request's scope: the one its request's own rows were given
// (which is the scope it has now, or it is queued for a new one that the commit gives this row
// too), worked out from the request when those rows are not in the index yet.
Result<void> index_stored_message(Database& db, std::int64_t row, std::int64_t request_id, const StoredMail& m);
// Adds (or removes, with the values and scope it was given) the request's own rows.
Result<void> index_request_rows(Database& db, std::int64_t id, bool remove);
// Removes the rows of every message of the request (with the values and scope each was given):
// before a purge blanks what the rows were made from (store/purge.h).
Result<void> unindex_request_messages(Database& db, std::int64_t request_id);
// Gives every queued request (search_rescope, filled by triggers) and its messages the scope they
// have now. Runs before each commit (Database::set_before_commit): committed states have none.
Result<void> apply_search_rescopes(Database& db);

// The marker of the scope's terms: U+E000, a private-use character, which the tokenizer keeps in
// a word and which a query's words never hold (store/search.cc drops such words).
inline constexpr const char* kScopeMark = "\xEE\x80\x80";
// The index's term for "department:urbanisme", "agent:…", "tag:…"; when `create` is false and the
// term was never given to any row, nullopt.
Result<std::optional<std::string>> scope_term(Database& db, const std::string& term, bool create);

}  // namespace guichet::store
