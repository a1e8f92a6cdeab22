// Shared by the tests: reading the corpus, temporary directories, running the guichet binary.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "mail/message.h"

namespace guichet::test {

inline bool has_problem(const mail::Message& m, const std::string& needle) {
  for (const auto& p : m.problems) {
    if (p.find(needle) != std::string::npos) return true;
  }
  return false;
}

inline std::string data_path(const std::string& rel) { return std::string(GUICHET_TEST_DATA) + "/" + rel; }

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string corpus(const std::string& name) { return read_file(data_path("mail/" + name)); }

inline void write_file(const std::filesystem::path& p, const std::string& data) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << data;
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("guichet-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string str(const std::string& rel = "") const { return rel.empty() ? path_.string() : (path_ / rel).string(); }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs the guichet binary through /bin/sh with `args` (already shell-quoted), feeding `input`.
RunResult run_guichet(const std::string& args, const std::string& input = "", const std::string& env = "");

}  // namespace guichet::test
