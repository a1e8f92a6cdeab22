// guichet rgpd export ADDRESS|NAME --out PATH [--actor WHO]: everything guichet holds about one
// person (RGPD article 15): every request they made or were copied on, each message exactly as
// received (.eml, byte for byte), each attachment, each request's record and history (JSON), and an
// index; into the folder PATH, or one .tar when PATH ends so. An address finds the person surely;
// a name finds requests whose requester or participant has exactly that name (civility, case and
// accents aside). The export is recorded in each request's history. Exit 65 when nobody is known
// by that address or name (nothing written).
#include <iostream>

#include "actor.h"
#include "commands.h"
#include "mail/date.h"
#include "request_json.h"
#include "util/file_tree.h"

namespace guichet::cli {

namespace {

std::string two_digits(size_t n) { return (n < 10 ? "0" : "") + std::to_string(n); }

constexpr const char* kReadMe =
    "Ce dossier contient tout ce que le guichet de la mairie conserve au sujet de la personne nommée\n"
    "dans index.json, au jour de l'export :\n"
    "\n"
    "  index.json                 la liste des demandes et des fichiers\n"
    "  REFERENCE/demande.json     la demande : objet, service, agent, dates, statut et historique\n"
    "  REFERENCE/messages/NN.eml  chaque courriel, tel qu'il a été reçu ou envoyé (s'ouvre avec un logiciel de "
    "messagerie)\n"
    "  REFERENCE/pieces-jointes/  chaque pièce jointe\n"
    "\n"
    "Articles 15 et 20 du règlement (UE) 2016/679 (RGPD).\n";

}  // namespace

Command add_rgpd_export(CLI::App& rgpd) {
  struct Options {
    std::string who, out, actor = default_actor();
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = rgpd.add_subcommand("export", "Everything held about one person, into a folder or a .tar (audited)");
  c.app->add_option("person", opt->who, "the person's address (surest) or exact name")->required();
  c.app->add_option("--out", opt->out, "a new folder, or a file ending in .tar")->required();
  c.app->add_option("--actor", opt->actor, "who asks for it, for the history")->capture_default_str();
  c.needs = Needs::store_write;
  c.run = [opt](Context& ctx) -> int {
    store::Store& st = *ctx.store;
    auto ids = st.requests_of_person(opt->who);
    if (!ids) return report(ids.error());
    if (ids->empty()) return report(Error{Errc::data, "nobody known as " + opt->who + ": nothing exported"});
    auto tree = FileTree::create(opt->out);
    if (!tree) return report(tree.error());
    const std::int64_t now = ctx.clock->now();
    nlohmann::ordered_json index;
    index["person"] = opt->who;
    index["exported_at"] = mail::format_rfc3339(now);
    index["requests"] = nlohmann::ordered_json::array();
    size_t messages = 0, attachments = 0;
    for (std::int64_t id : *ids) {
      auto summary = st.request_summary(id);
      if (!summary) return report(summary.error());
      if (!*summary) continue;
      auto full = st.request((*summary)->reference);
      if (!full) return report(full.error());
      if (!*full) continue;
      const store::RequestInfo& r = **full;
      const std::string dir = r.reference;
      nlohmann::ordered_json entry;
      entry["reference"] = r.reference;
      entry["subject"] = r.subject;
      entry["received_at"] = mail::format_rfc3339(r.received_at);
      entry["files"] = nlohmann::ordered_json::array();
      if (auto a = tree->add(dir + "/demande.json", request_detail_json(r).dump(2) + "\n"); !a)
        return report(a.error());
      entry["files"].push_back(dir + "/demande.json");
      for (size_t i = 0; i < r.messages.size(); ++i) {
        const store::MessageInfo& m = r.messages[i];
        auto raw = st.raw(m.id);
        if (!raw) return report(raw.error());
        const std::string name = dir + "/messages/" + two_digits(i + 1) + ".eml";
        if (auto a = tree->add(name, *raw); !a) return report(a.error());
        entry["files"].push_back(name);
        ++messages;
        for (size_t k = 0; k < m.attachments.size(); ++k) {
          auto blob = st.blob(m.attachments[k].sha256);
          if (!blob) return report(blob.error());
          if (!*blob) continue;  // `guichet verify` names it
          const std::string file = dir + "/pieces-jointes/" + two_digits(i + 1) + "-" + two_digits(k + 1) + "-" +
                                   FileTree::safe_name(m.attachments[k].filename);
          if (auto a = tree->add(file, **blob); !a) return report(a.error());
          entry["files"].push_back(file);
          ++attachments;
        }
      }
      index["requests"].push_back(entry);
    }
    if (auto a = tree->add("index.json", index.dump(2) + "\n"); !a) return report(a.error());
    if (auto a = tree->add("LISEZMOI.txt", kReadMe); !a) return report(a.error());
    // Recorded before the export is put in place: no export leaves without its trace in the history.
    auto tx = st.transaction();
    if (!tx) return report(tx.error());
    const std::string detail = nlohmann::json{{"person", opt->who}, {"out", opt->out}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (std::int64_t id : *ids) {
      if (auto e = st.add_event(id, std::nullopt, now, "admin:" + opt->actor, "rgpd_export", detail); !e)
        return report(e.error());
    }
    if (auto e = tx->commit(); !e) return report(e.error());
    if (auto f = tree->finish(); !f) return report(f.error());
    std::cout << opt->out << ": " << index["requests"].size() << " requests, " << messages << " messages, "
              << attachments << " attachments\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
