#include "helpers.h"

#include <sys/wait.h>

#include <cstdio>

namespace guichet::test {

RunResult run_guichet(const std::string& args, const std::string& input, const std::string& env) {
  TempDir io;
  write_file(io.path() / "in", input);
  std::string cmd = env + " " + GUICHET_BIN + " " + args + " <" + io.str("in") + " >" + io.str("out") + " 2>" +
                    io.str("err");
  int rc = std::system(cmd.c_str());
  RunResult r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = read_file(io.str("out"));
  r.err = read_file(io.str("err"));
  return r;
}

}  // namespace guichet::test
