// A commune's mail, generated for the benchmarks that need a large database that looks like years
// of a town hall's traffic (bench/search_bench.cc): residents with a first name and a surname from
// a pool large enough that most surnames are rare (and a few common ones: Martin, Dupont…), with
// accents; the town's subjects with a street; French bodies; one mail in four a reply to an
// earlier one (In-Reply-To), one in seven with an attachment (small: what search reads is its name);
// Outlook (quoted-printable latin-1), Gmail (base64 and HTML) and plain 8-bit clients. Deterministic
// for a seed. Header-only: bench code, not the library's.
#pragma once

#include <cstdint>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "mail_encoding.h"

namespace guichet::bench {

class TownMail {
 public:
  struct Resident {
    std::string first, last, address;
  };

  // Mail from `start` (Unix time), one every `step` seconds.
  TownMail(std::uint64_t seed, std::int64_t start, std::int64_t step) : rng_(seed), start_(start), step_(step) {
    static const char* kPrefixes[] = {"Ber", "Bou", "Cha", "Dela", "Des", "Fer", "Gar", "Gi", "Gui", "Lam", "Lan",
                                      "Le", "Mar", "Mor", "Pel", "Per", "Ri", "Rou", "Sa", "Ta", "Vau", "Vil",
                                      "Bro", "Cou", "Fa", "Jo", "Ma", "No", "Pou", "Sé", "Thé", "Bé", "Chè", "Lé"};
    static const char* kSuffixes[] = {"ville", "mont", "court", "ret", "rand", "chard", "lier", "nier", "tin",
                                      "gnon", "zet", "quet", "lot", "daz", "vel", "rac", "gès", "noël", "bœuf",
                                      "ssac", "rbé", "llon", "mas", "zin", "nès", "card", "geot", "teau"};
    for (const char* p : kPrefixes)
      for (const char* s : kSuffixes) surnames_.push_back(std::string(p) + s);
    for (int i = 0; i < 60000; ++i) {
      Resident r;
      r.first = kFirst[pick(std::size(kFirst))];
      // One in five has a common surname; the others one of ~950 rarer ones.
      r.last = pick(5) == 0 ? kCommon[pick(std::size(kCommon))] : surnames_[pick(surnames_.size())];
      r.address = ascii(r.first) + "." + ascii(r.last) + std::to_string(i % 97) + "@" + kDomains[pick(std::size(kDomains))];
      residents_.push_back(std::move(r));
    }
  }

  const std::vector<Resident>& residents() const { return residents_; }
  static std::vector<std::string> words() {
    return {"lampadaire", "trottoir", "cantine", "veranda", "cimetiere", "stationnement", "poubelles", "permis",
            "naissance", "elections", "bruit", "chaussee", "ecole", "salle", "arbre", "inondation"};
  }

  // The next mail, raw (CRLF), and the index of its resident.
  std::string next(size_t* resident_index = nullptr) {
    const size_t i = count_++;
    const std::int64_t t = start_ + static_cast<std::int64_t>(i) * step_;
    std::string subject, extra;
    size_t who;
    if (!sent_.empty() && pick(4) == 0) {  // a reply to a recent mail of the same resident
      const Sent& parent = sent_[sent_.size() - 1 - pick(std::min<size_t>(sent_.size(), 5000))];
      who = parent.resident;
      subject = "RE : " + parent.subject;
      extra = "In-Reply-To: <" + parent.id + ">\r\nReferences: <" + parent.id + ">\r\n";
    } else {
      who = pick(residents_.size());
      subject = std::string(kSubjects[pick(std::size(kSubjects))]) + " " + kStreets[pick(std::size(kStreets))];
    }
    if (resident_index) *resident_index = who;
    const Resident& r = residents_[who];
    const std::string id = "m" + std::to_string(i) + "@" + r.address.substr(r.address.find('@') + 1);
    sent_.push_back({id, subject, who});
    if (sent_.size() > 20000) sent_.erase(sent_.begin(), sent_.begin() + 10000);
    std::string text;
    const size_t n = 2 + pick(6);
    for (size_t k = 0; k < n; ++k) text += std::string(kSentences[pick(std::size(kSentences))]) + " ";
    text += "\n" + r.first + " " + r.last + "\n" + std::to_string(1 + pick(80)) + " " + kStreets[pick(std::size(kStreets))] + "\n";
    char date[64];
    const time_t tt = static_cast<time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    std::string h = "Received: from mx.example.org by mx.champignac.example; " + std::string(date) + "\r\nDate: " + date +
                    "\r\nMessage-ID: <" + id + ">\r\nTo: mairie@champignac.example\r\nMIME-Version: 1.0\r\n" + extra;
    std::string part;
    switch (pick(3)) {
      case 0:  // Outlook: latin-1, quoted-printable, the name as an encoded word
        h += "From: " + encoded_word_q(r.first + " " + r.last) + " <" + r.address + ">\r\nSubject: " + encoded_word_q(subject) + "\r\n";
        part = "Content-Type: text/plain; charset=\"iso-8859-1\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
               qp(latin1(text));
        break;
      case 1:  // Gmail: UTF-8 base64
        h += "From: \"" + r.first + " " + r.last + "\" <" + r.address + ">\r\nSubject: " + encoded_word_q(subject) + "\r\n";
        part = "Content-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(text);
        break;
      default:  // 8-bit
        h += "From: " + r.first + " " + r.last + " <" + r.address + ">\r\nSubject: " + subject + "\r\n";
        part = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text;
    }
    if (pick(7) != 0) return h + part;
    const std::string b = "b" + std::to_string(i);
    const bool photo = pick(2) == 0;
    const std::string name = photo ? "IMG_" + std::to_string(1000 + pick(9000)) + ".jpg"
                                   : std::string(kFiles[pick(std::size(kFiles))]) + ".pdf";
    std::string bytes(1024 + pick(3072), '\0');
    for (auto& c : bytes) c = static_cast<char>(rng_());
    return h + "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n" + part + "\r\n--" + b +
           "\r\nContent-Type: " + (photo ? "image/jpeg" : "application/pdf") + "\r\nContent-Disposition: attachment; filename=\"" +
           name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(bytes) + "\r\n--" + b + "--\r\n";
  }

 private:
  struct Sent {
    std::string id, subject;
    size_t resident;
  };
  static constexpr const char* kFirst[] = {"Jean",   "Marie",  "François", "Amélie", "Hélène", "Gérard", "Zoé",
                                           "Noël",   "Léa",    "Théo",     "Céline", "Jérôme", "Inès",   "Raphaël",
                                           "Chloé",  "Loïc",   "Sophie",   "Paul",   "Nathalie", "Michel", "Agnès",
                                           "Bruno",  "Camille", "Denis",   "Élise",  "Fabrice", "Gaëlle", "Hugo",
                                           "Isabelle", "Joël", "Karine",   "Laurent", "Mathilde", "Nicolas", "Océane"};
  static constexpr const char* kCommon[] = {"Martin", "Bernard", "Dubois", "Thomas",  "Robert", "Richard",
                                            "Petit",  "Durand",  "Leroy",  "Moreau",  "Simon",  "Laurent",
                                            "Lefèvre", "Michel", "Garcia", "Dupont"};
  static constexpr const char* kDomains[] = {"orange.example", "gmail.example", "free.example", "laposte.example",
                                             "sfr.example", "wanadoo.example", "outlook.example"};
  static constexpr const char* kSubjects[] = {"Déclaration préalable véranda", "Nid-de-poule", "Acte de naissance",
                                              "Inscription à la cantine", "Bruit après minuit", "Dépôt sauvage",
                                              "Concession au cimetière", "Listes électorales", "Lampadaire éteint",
                                              "Salle des fêtes", "Stationnement gênant", "Permis de construire",
                                              "Arbre dangereux", "Poubelles non ramassées", "Inondation de cave"};
  static constexpr const char* kStreets[] = {"rue des Écoles", "avenue Jean-Jaurès", "place du Marché",
                                             "rue Pasteur", "chemin des Vignes", "allée des Tilleuls",
                                             "rue de la Gare", "impasse du Moulin", "boulevard Victor-Hugo",
                                             "route de Champignac"};
  static constexpr const char* kSentences[] = {
      "Bonjour Madame, Monsieur,", "Je me permets de vous écrire au sujet d'un problème qui dure depuis des semaines.",
      "Pourriez-vous m'indiquer les pièces à fournir et le délai de traitement ?",
      "Le trottoir est abîmé et la chaussée dangereuse pour les piétons.",
      "Mes voisins se plaignent également ; nous avons déjà appelé l'accueil sans réponse.",
      "Vous trouverez ci-joint les photos prises ce matin.", "Je reste à votre disposition pour tout renseignement.",
      "Le lampadaire devant l'école ne fonctionne plus.", "La cantine sera-t-elle ouverte pendant les vacances ?",
      "Les poubelles n'ont pas été ramassées depuis mardi.", "Un arbre menace de tomber sur le stationnement.",
      "Merci d'avance pour votre réponse rapide.", "Veuillez agréer mes salutations distinguées."};
  static constexpr const char* kFiles[] = {"plan cadastral", "devis", "attestation d'assurance", "photo trottoir",
                                           "justificatif de domicile", "formulaire Cerfa 13703"};

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  static std::string ascii(const std::string& utf8) {
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
      const auto c = static_cast<unsigned char>(utf8[i]);
      if (c < 0x80) {
        if (c != ' ' && c != '\'') out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      } else if (c == 0xC3 && i + 1 < utf8.size()) {
        const auto d = static_cast<unsigned char>(utf8[++i]);
        out += d >= 0xA8 && d <= 0xAB ? 'e' : d >= 0xA0 && d <= 0xA5 ? 'a' : d >= 0xAC && d <= 0xAF ? 'i'
             : d >= 0xB2 && d <= 0xB6 ? 'o' : d >= 0xB9 && d <= 0xBC ? 'u' : d == 0xA7 ? 'c' : d == 0x89 ? 'e' : 'x';
      } else if (c == 0xC5 && i + 1 < utf8.size()) {
        ++i;
        out += "oe";
      }
    }
    return out;
  }
  std::mt19937_64 rng_;
  std::int64_t start_, step_;
  size_t count_ = 0;
  std::vector<std::string> surnames_;
  std::vector<Resident> residents_;
  std::vector<Sent> sent_;
};

}  // namespace guichet::bench
