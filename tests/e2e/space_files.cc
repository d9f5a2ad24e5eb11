// The repositories the end-to-end tests push (see space_files.h).
#include "space_files.h"

namespace spacelet::e2e {

std::string readme(const std::string& frontMatter) {
  return "---\n" + frontMatter + "---\n\n# A Space of the end-to-end tests\n";
}

Files staticSpace(const std::string& page) {
  return {{"README.md", readme("title: e2e static\nsdk: static\n")},
          {"index.html", "<html><body><h1>" + page + "</h1></body></html>\n"}};
}

Files dockerSpace(const std::string& page, const std::string& script,
                  const std::string& extraSteps) {
  std::string quoted;
  for (char c : script) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return {{"README.md", readme("title: e2e docker\nsdk: docker\napp_port: 8080\n")},
          {"www/index.html", page + "\n"},
          {"Dockerfile", "FROM spacelet/busybox:latest\nWORKDIR /srv\nCOPY www /srv/www\n" +
                             extraSteps + "USER 1000\nEXPOSE 8080\nCMD [\"sh\", \"-c\", \"" +
                             quoted + "\"]\n"}};
}

std::string serveScript() {
  return "exec httpd -f -v -p 8080 -h /srv/www";
}

}  // namespace spacelet::e2e
