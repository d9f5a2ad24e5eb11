// USER / --chown resolution (see user_lookup.h).
#include "agent/build/user_lookup.h"

#include <optional>
#include <sstream>
#include <vector>

#include "agent/build/copy_files.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build {
namespace {

std::optional<uint32_t> numeric(const std::string& s) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  uint64_t v = std::stoull(s);
  if (v > 0xFFFFFFFEu) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// Fields of the line of a passwd/group file whose first field is `name`.
std::optional<std::vector<std::string>> findEntry(const std::string& file,
                                                  const std::string& name) {
  std::istringstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::istringstream l(line);
    std::string f;
    while (std::getline(l, f, ':')) fields.push_back(f);
    if (fields.size() >= 3 && fields[0] == name) return fields;
  }
  return std::nullopt;
}

}  // namespace

Result<UserIds> resolveUser(const std::string& spec, const std::string& passwd,
                            const std::string& group) {
  size_t colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string grp = colon == std::string::npos ? "" : spec.substr(colon + 1);
  UserIds ids;
  std::optional<std::vector<std::string>> pw = findEntry(passwd, user);
  if (auto n = numeric(user)) {
    ids.uid = *n;
  } else if (pw && pw->size() >= 4 && numeric((*pw)[2]) && numeric((*pw)[3])) {
    ids.uid = *numeric((*pw)[2]);
    ids.gid = *numeric((*pw)[3]);
  } else {
    return failInvalid("user '" + user +
                       "' is not in the image's /etc/passwd; use a numeric uid "
                       "or create the user first");
  }
  if (grp.empty()) return ids;
  if (auto n = numeric(grp)) {
    ids.gid = *n;
  } else if (auto gr = findEntry(group, grp); gr && numeric((*gr)[2])) {
    ids.gid = *numeric((*gr)[2]);
  } else {
    return failInvalid("group '" + grp + "' is not in the image's /etc/group");
  }
  return ids;
}

Result<UserIds> resolveUserInRoot(int rootFd, const std::string& spec) {
  std::string passwd, group;
  if (auto fd = openInRoot(rootFd, "/etc/passwd")) passwd = readAll(fd->get()).value_or("");
  if (auto fd = openInRoot(rootFd, "/etc/group")) group = readAll(fd->get()).value_or("");
  return resolveUser(spec, passwd, group);
}

}  // namespace spacelet::agent::build
