// libgit2 error and object-id helpers (see git_handle.h).
#include "agent/git/git_handle.h"

#include <cerrno>

namespace spacelet::agent::git {

Error gitError(int rc, std::string_view what) {
  const git_error* last = git_error_last();
  std::string detail =
      last && last->message ? last->message : "libgit2 error " + std::to_string(rc);
  return Error{rc == GIT_ENOTFOUND ? ENOENT : EIO, std::string(what) + ": " + detail};
}

std::string oidText(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

Result<git_oid> parseOid(std::string_view text) {
  bool hex = text.size() == GIT_OID_HEXSZ;
  for (char c : text) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hex) {
    return failInvalid("'" + std::string(text) +
                       "' is not a commit sha: give all 40 lowercase hex digits");
  }
  git_oid oid;
  git_oid_fromstrn(&oid, text.data(), text.size());
  return oid;
}

}  // namespace spacelet::agent::git
