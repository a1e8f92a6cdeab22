#include "servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace guichet::test {

namespace fs = std::filesystem;

int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

bool wait_for_port(int port, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void Process::start(const std::vector<std::string>& argv, const std::string& log_path) {
  stop();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    setpgid(0, 0);
    execv(args[0], args.data());
    _exit(127);
  }
}

void Process::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

SmtpServer::SmtpServer(int port) : port_(port ? port : free_port()) { fs::create_directories(dir_.path() / "mail"); }

void SmtpServer::start() {
  process_.start({"/usr/bin/python3", std::string(GUICHET_SOURCE_DIR) + "/tests/servers/smtp_server.py",
                  std::to_string(port_), dir()},
                 dir_.str("server.log"));
  if (!wait_for_port(port_)) throw std::runtime_error("the SMTP test server did not start: " + read_file(dir_.str("server.log")));
}

namespace {
std::vector<std::string> files_with(const std::string& dir, const std::string& ext) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ext) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(read_file(n));
  return out;
}
}  // namespace

std::vector<std::string> SmtpServer::received() const { return files_with(dir(), ".eml"); }
std::vector<std::string> SmtpServer::envelopes() const { return files_with(dir(), ".json"); }

}  // namespace guichet::test
