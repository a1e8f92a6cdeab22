#include "util/secret.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace guichet {

std::string SecretRef::describe() const {
  if (!credential.empty()) return "systemd credential " + credential;
  if (!env.empty()) return "environment variable " + env;
  if (!file.empty()) return "file " + file;
  return "no secret";
}

Result<std::string> read_secret(const SecretRef& ref) {
  std::string path = ref.file;
  if (!ref.env.empty()) {
    const char* v = std::getenv(ref.env.c_str());
    if (!v) return make_error(Errc::config, "environment variable " + ref.env + " is not set");
    return std::string(v);
  }
  if (!ref.credential.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir)
      return make_error(Errc::config, "systemd credential " + ref.credential +
                                          ": CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)");
    path = std::string(dir) + "/" + ref.credential;
  }
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::config, path + ": cannot read the secret (" + ref.describe() + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace guichet
