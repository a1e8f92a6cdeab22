// Generates a Maildir of realistic resident mail for the ingest benchmark (bench/run.sh).
//
// Usage: guichet-bench-gen DIR COUNT [SEED]            mixed mail, 20% with attachments
//        guichet-bench-gen --threaded DIR COUNT PARTS   conversations for the threading benchmark
// Mix: clients (Outlook QP latin-1, Gmail base64 UTF-8 + HTML, Thunderbird 8-bit flowed, webmail
// HTML only, raw 8-bit headers), French subjects and bodies, 20% with one or two attachments
// (10 kB to 400 kB of incompressible bytes, like JPEG photos and scanned PDFs). Deterministic
// for a given seed.
#include <cmath>
#include <cstdint>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "mail_encoding.h"

using namespace guichet::bench;

namespace {

const char* kFirst[] = {"Jean", "Marie", "François", "Amélie", "Hélène", "Gérard", "Zoé", "Noël", "Léa", "Théo",
                        "Céline", "Jérôme", "Inès", "Raphaël", "Chloé", "Loïc"};
const char* kLast[] = {"Dupont", "Martin", "Léger", "Lefèvre", "Brûlé", "Moreau", "Faure", "Rousseau", "Bertin",
                       "Petit", "Roux", "Garçon", "Müller", "Nguyen", "Benali", "Da Silva"};
const char* kDomains[] = {"orange.example", "gmail.example", "free.example", "laposte.example", "sfr.example",
                          "wanadoo.example", "outlook.example", "icloud.example"};
const char* kSubjects[] = {"Déclaration préalable pour une véranda", "Nid-de-poule rue des Écoles",
                           "Demande d'acte de naissance", "Inscription à la cantine", "Bruit après minuit",
                           "Dépôt sauvage derrière le gymnase", "Concession au cimetière",
                           "Inscription sur les listes électorales", "Lampadaire éteint avenue Jean-Jaurès",
                           "Réservation de la salle des fêtes", "Stationnement gênant", "Permis de construire"};
const char* kSentences[] = {
    "Bonjour Madame, Monsieur,", "Je me permets de vous écrire au sujet d'un problème qui dure depuis des semaines.",
    "Pourriez-vous m'indiquer les pièces à fournir et le délai de traitement ?",
    "Le trottoir est abîmé devant le numéro 12 et c'est dangereux pour les piétons.",
    "Mes voisins se plaignent également ; nous avons déjà appelé l'accueil sans réponse.",
    "Vous trouverez ci-joint les photos prises ce matin.", "Je reste à votre disposition pour tout renseignement.",
    "Merci d'avance pour votre réponse rapide.", "Veuillez agréer mes salutations distinguées.",
    "Coût estimé : 300 € ; délai souhaité : avant Noël."};

std::mt19937_64 rng;
size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
template <size_t N>
const char* pick(const char* (&a)[N]) {
  return a[pick(N)];
}

std::string body_text() {
  std::string t;
  size_t n = 3 + pick(8);
  for (size_t i = 0; i < n; ++i) t += std::string(pick(kSentences)) + (pick(3) == 0 ? "\n\n" : " ");
  return t + "\n";
}

std::string random_bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    std::uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

std::string make_mail(size_t i) {
  std::string first = pick(kFirst), last = pick(kLast), domain = pick(kDomains);
  std::string name = first + " " + last;
  std::string addr = "resident" + std::to_string(i % 3000) + "@" + domain;
  std::string subject = pick(kSubjects);
  std::string text = body_text();
  time_t t = 1767225600 + static_cast<time_t>(i) * 600;  // from 1 January 2026, one every 10 minutes
  char date[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);

  std::string h = "Received: from mx." + domain + " by mx.champignac.example; " + date + "\r\n";
  h += "Date: " + std::string(date) + "\r\nMessage-ID: <bench-" + std::to_string(i) + "." +
       std::to_string(rng() % 1000000) + "@" + domain + ">\r\nTo: mairie@champignac.example\r\nMIME-Version: 1.0\r\n";
  size_t style = pick(5);
  std::string part;
  if (style == 0) {  // Outlook: latin-1 QP
    h += "From: " + encoded_word_q(name) + " <" + addr + ">\r\nSubject: " + encoded_word_q("RE : " + subject) + "\r\n";
    part = "Content-Type: text/plain; charset=\"iso-8859-1\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
           qp(latin1(text));
  } else if (style == 1) {  // Gmail: base64 UTF-8 + HTML alternative
    h += "From: " + encoded_word_q(name) + " <" + addr + ">\r\nSubject: " + encoded_word_q(subject) + "\r\n";
    part = "Content-Type: multipart/alternative; boundary=\"alt" + std::to_string(i) + "\"\r\n\r\n--alt" +
           std::to_string(i) + "\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
           b64(text) + "\r\n--alt" + std::to_string(i) +
           "\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
           qp("<div dir=\"ltr\"><p>" + text + "</p></div>") + "\r\n--alt" + std::to_string(i) + "--\r\n";
  } else if (style == 2) {  // Thunderbird: 8-bit flowed
    h += "From: " + encoded_word_q(name) + " <" + addr + ">\r\nSubject: " + encoded_word_q(subject) + "\r\n";
    part = "Content-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text;
  } else if (style == 3) {  // webmail: HTML only, entities
    h += "From: " + encoded_word_q(name) + " <" + addr + ">\r\nSubject: " + encoded_word_q(subject) + "\r\n";
    part = "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
           qp("<html><head><style>p{}</style></head><body><p>" + text + "</p><ul><li>un</li><li>deux</li></ul>&eacute;&nbsp;</body></html>");
  } else {  // raw 8-bit headers
    h += "From: " + name + " <" + addr + ">\r\nSubject: " + subject + "\r\n";
    part = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text;
  }
  if (pick(5) != 0) return h + part;  // 80%: no attachment

  std::string b = "mix" + std::to_string(i);
  std::string out = h + "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n" + part + "\r\n";
  size_t n = 1 + pick(2);
  for (size_t k = 0; k < n; ++k) {
    // Log-uniform between 10 kB and 400 kB.
    double lo = std::log(10e3), hi = std::log(400e3);
    size_t size = static_cast<size_t>(std::exp(std::uniform_real_distribution<double>(lo, hi)(rng)));
    bool photo = pick(2) == 0;
    std::string fname = photo ? "IMG_" + std::to_string(1000 + pick(9000)) + ".jpg" : "pièce jointe " + std::to_string(k + 1) + ".pdf";
    out += "--" + b + "\r\nContent-Type: " + std::string(photo ? "image/jpeg" : "application/pdf") +
           "\r\nContent-Disposition: attachment; filename*=UTF-8''" +
           (photo ? fname : "pi%C3%A8ce%20jointe%20" + std::to_string(k + 1) + ".pdf") +
           "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(random_bytes(size)) + "\r\n";
  }
  return out + "--" + b + "--\r\n";
}

// Threaded mode: conversations without attachments. Of each 100 mails, about 40 answer a recent
// mail (In-Reply-To + References), 8 are Outlook replies carrying only Thread-Index, 10 are
// relances (same sender and subject, new text), 3 are resent copies, the rest start a conversation.
struct Sent {
  std::string id, from, subject, thread_index, body;
  std::vector<std::string> refs;
};

std::string threaded_mail(size_t i, std::vector<Sent>& sent) {
  time_t t = 1767225600 + static_cast<time_t>(i) * 300;
  char date[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  Sent m;
  m.id = "t" + std::to_string(i) + "." + std::to_string(rng() % 1000000) + "@bench.example";
  size_t roll = pick(100);
  const Sent* parent = nullptr;
  if (!sent.empty()) parent = &sent[sent.size() - 1 - pick(std::min<size_t>(sent.size(), 3000))];
  std::string extra;
  if (parent && roll < 40) {
    m.from = pick(3) == 0 ? "agent" + std::to_string(pick(20)) + "@champignac.example" : parent->from;
    m.subject = "RE : " + parent->subject;
    m.refs = parent->refs;
    if (m.refs.size() > 10) m.refs.erase(m.refs.begin() + 1, m.refs.begin() + static_cast<long>(m.refs.size() - 9));
    m.refs.push_back(parent->id);
    extra = "In-Reply-To: <" + parent->id + ">\r\nReferences:";
    for (const auto& r : m.refs) extra += " <" + r + ">";
    extra += "\r\n";
    m.body = body_text();
  } else if (parent && roll < 48 && !parent->thread_index.empty()) {
    m.from = parent->from;
    m.subject = "RE: " + parent->subject;
    m.thread_index = parent->thread_index.substr(0, 32) + b64(random_bytes(5)).substr(0, 8);
    m.body = body_text();
  } else if (parent && roll < 58) {
    m.from = parent->from;
    m.subject = parent->subject;
    m.body = "Je me permets de vous relancer. " + body_text();
  } else if (parent && roll < 61) {
    m = *parent;
    m.id = "t" + std::to_string(i) + ".resent@bench.example";
  } else {
    m.from = "resident" + std::to_string(pick(20000)) + "@" + pick(kDomains);
    m.subject = std::string(pick(kSubjects)) + " " + std::to_string(pick(100000));
    m.body = body_text();
    if (pick(3) == 0) m.thread_index = b64(random_bytes(22)) + "AAAA";
  }
  std::string h = "Received: by mx.champignac.example; " + std::string(date) + "\r\nDate: " + date +
                  "\r\nFrom: <" + m.from + ">\r\nTo: mairie@champignac.example\r\nSubject: " +
                  encoded_word_q(m.subject) + "\r\nMessage-ID: <" + m.id + ">\r\n" + extra;
  if (!m.thread_index.empty()) h += "Thread-Index: " + m.thread_index + "\r\n";
  h += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  std::string out = h + m.body;
  sent.push_back(std::move(m));
  return out;
}

int threaded(const std::filesystem::path& dir, size_t count, size_t parts) {
  rng.seed(20261128);
  std::vector<Sent> sent;
  sent.reserve(count);
  size_t per_part = (count + parts - 1) / parts;
  for (size_t i = 0; i < count; ++i) {
    char part[32];
    std::snprintf(part, sizeof part, "part-%02zu", i / per_part);
    std::filesystem::path md = dir / part;
    if (i % per_part == 0)
      for (const char* sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(md / sub);
    char name[64];
    std::snprintf(name, sizeof name, "%010zu.M%zuP1.bench", 1767225600 + i * 300, i);
    std::ofstream(md / "new" / name, std::ios::binary) << threaded_mail(i, sent);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--threaded")
    return threaded(argv[2], std::stoul(argv[3]), std::stoul(argv[4]));
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR COUNT [SEED]\n", argv[0]);
    return 64;
  }
  std::filesystem::path dir(argv[1]);
  size_t count = std::stoul(argv[2]);
  rng.seed(argc > 3 ? std::stoull(argv[3]) : 20261128);
  for (const char* sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(dir / sub);
  for (size_t i = 0; i < count; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "%010zu.M%zuP1.bench", 1767225600 + i * 600, i);
    std::ofstream(dir / "new" / name, std::ios::binary) << make_mail(i);
  }
  return 0;
}
