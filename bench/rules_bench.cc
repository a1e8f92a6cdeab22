// Rule evaluation cost: 200 rules of the shipped kinds (contains lists, regexes, any/all/not),
// evaluated against a realistic mail that matches only the last one, so every rule is tried.
// Usage: guichet-bench-rules [ITERATIONS]
#include <chrono>
#include <cstdio>
#include <string>

#include "directory/directory.h"
#include "mail/parse.h"
#include "routing/rules.h"

using namespace guichet;

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::stoi(argv[1]) : 20000;
  auto dir = directory::Directory::parse(
      "departments:\n  - {id: d, name: D, email: d@c.fr, address: A, phone: '01'}\n", "bench-directory.yaml");
  if (!dir) return 1;
  std::string yaml;
  for (int i = 0; i < 199; ++i) {
    std::string n = std::to_string(i);
    switch (i % 4) {
      case 0:
        yaml += "- name: r" + n + "\n  when: { subject: { contains: [mot" + n + "a, mot" + n + "b, expression numéro " + n +
                ", déclaration " + n + "] } }\n  then: { department: d }\n";
        break;
      case 1:
        yaml += "- name: r" + n + "\n  when: { any: [ { recipients: service" + n + "@c.fr }, { from_domain: { in: [d" + n +
                ".fr, e" + n + ".fr] } } ] }\n  then: { department: d }\n";
        break;
      case 2:
        yaml += "- name: r" + n + "\n  when: { body: { regex: 'dossier n.? ?" + n + "[0-9]{3}' } }\n  then: { department: d }\n";
        break;
      default:
        yaml += "- name: r" + n + "\n  when: { all: [ { subject: sujet" + n + " }, { not: { body: exclu" + n +
                " } } ] }\n  then: { department: d }\n";
    }
  }
  yaml += "- name: last\n  when: always\n  then: { department: d }\n";
  auto set = routing::RuleSet::parse(yaml, "bench-rules.yaml", *dir, {});
  if (!set) {
    std::fprintf(stderr, "%s\n", set.error().message.c_str());
    return 1;
  }
  std::string text;
  for (int i = 0; i < 12; ++i) text += "Bonjour, je vous écris au sujet du trottoir abîmé devant chez moi, rue des Écoles. ";
  mail::Message m = mail::parse("From: Jean Dupont <jean.dupont@orange.example>\nTo: mairie@champignac.example\n"
                                "Cc: voisin@free.example\nSubject: =?utf-8?Q?Trottoir_ab=C3=AEm=C3=A9_rue_des_=C3=89coles?=\n"
                                "Content-Type: text/plain; charset=utf-8\n\n" + text + "\n");
  routing::MessageView view{"mairie", &m};
  size_t matched = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) matched += set->evaluate(view, false).matched.size();
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / iterations;
  std::printf("rules: %zu, iterations: %d, matched per run: %zu, %.1f us per message (target < 50)\n",
              set->rules().size(), iterations, matched / static_cast<size_t>(iterations), us);
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations / 10; ++i) matched += set->evaluate(view, true).trace.size();
  us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / (iterations / 10);
  std::printf("with the trace `rules test` prints: %.1f us per message\n", us);
  return 0;
}
