// guichet rgpd export: everything held about one person, exactly their mails byte for byte, no one
// else's, into a folder or a .tar, recorded in the history; nobody known, nothing written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "town.h"

using namespace guichet;
using test::Town;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string everything_in(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) all += test::read_file(e.path().string());
  return all;
}

}  // namespace

TEST_CASE("rgpd export: one person's requests, their mails byte for byte, nobody else's", "[rgpd]") {
  Town t;
  const std::string lea1 = test::resident_mail("lea-1@example.org", "Lampadaire éteint");
  const std::string lea2 =
      "From: Léa Martin <Lea.Martin@example.org>\r\nTo: urbanisme@champignac.example\r\nSubject: Permis de "
      "construire\r\nDate: Tue, 01 Dec 2026 09:00:00 +0100\r\nMessage-ID: <lea-2@example.org>\r\nMIME-Version: "
      "1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
      "Voici le plan.\r\n--b\r\nContent-Type: application/pdf; name=plan.pdf\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\nJVBERi0xLjQKJSBwbGFuIGRlIHNpdHVhdGlvbgo=\r\n--b--\r\n";
  const std::string other = test::resident_mail("gaston-1@example.org", "Bruit", "Gaston Lagaffe <gaston@example.org>");
  auto r1 = t.ingest(lea1, "voirie");
  auto r2 = t.ingest(lea2, "urbanisme");
  auto r3 = t.ingest(other, "voirie");
  REQUIRE(r1.reference != r2.reference);
  t.st.reset();
  const std::string out = t.dir.str("export-lea");
  auto r = test::run_guichet("rgpd export lea.martin@example.org --out " + q(out) + " --actor dpo " + t.args());
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("2 requests, 2 messages, 1 attachments") != std::string::npos);
  CHECK(test::read_file(out + "/" + r1.reference + "/messages/01.eml") == lea1);
  CHECK(test::read_file(out + "/" + r2.reference + "/messages/01.eml") == lea2);
  CHECK(test::read_file(out + "/" + r2.reference + "/pieces-jointes/01-01-plan.pdf") ==
        "%PDF-1.4\n% plan de situation\n");
  auto index = nlohmann::json::parse(test::read_file(out + "/index.json"));
  CHECK(index["requests"].size() == 2);
  auto record = nlohmann::json::parse(test::read_file(out + "/" + r1.reference + "/demande.json"));
  CHECK(record["reference"] == r1.reference);
  CHECK(std::filesystem::exists(out + "/LISEZMOI.txt"));
  const std::string all = everything_in(out);
  CHECK(all.find("gaston") == std::string::npos);  // nobody else's data
  CHECK_FALSE(std::filesystem::exists(out + "/" + r3.reference));
  // Audited on each request exported.
  auto shown = nlohmann::json::parse(test::run_guichet("show --json " + r1.reference + " " + t.args()).out);
  bool audited = false;
  for (const auto& e : shown["events"]) audited = audited || (e["kind"] == "rgpd_export" && e["actor"] == "admin:dpo");
  CHECK(audited);

  // By name, in any case and with a civility: the same requests. As a .tar.
  const std::string tar = t.dir.str("lea.tar");
  auto by_name = test::run_guichet("rgpd export 'Mme LEA MARTIN' --out " + q(tar) + " " + t.args());
  INFO(by_name.err);
  REQUIRE(by_name.status == 0);
  CHECK(by_name.out.find("2 requests") != std::string::npos);
  const std::string unpacked = t.dir.str("unpacked");
  std::filesystem::create_directories(unpacked);
  REQUIRE(std::system(("tar -xf " + q(tar) + " -C " + q(unpacked)).c_str()) == 0);
  CHECK(test::read_file(unpacked + "/" + r2.reference + "/messages/01.eml") == lea2);
  CHECK_FALSE(std::filesystem::exists(tar + ".partial"));

  // Nobody known: exit 65, nothing written; an existing target is refused.
  const std::string none = t.dir.str("none");
  auto unknown = test::run_guichet("rgpd export inconnu@example.org --out " + q(none) + " " + t.args());
  CHECK(unknown.status == 65);
  CHECK(unknown.err.find("nobody known as inconnu@example.org") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(none));
  CHECK(test::run_guichet("rgpd export 'Léa' --out " + q(none) + " " + t.args()).status ==
        65);  // a first name alone is no one
  CHECK(test::run_guichet("rgpd export lea.martin@example.org --out " + q(out) + " " + t.args()).status == 64);
}
