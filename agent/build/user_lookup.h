// Resolving USER and --chown values ("name[:group]", "uid[:gid]") against the image's own
// /etc/passwd and /etc/group, read through the step's root fd. The parsing is pure.
#pragma once

#include <sys/types.h>

#include <string>

#include "spacelet/base/error.h"

namespace spacelet::agent::build {

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Pure: resolves `spec` with the text of passwd and group files.
Result<UserIds> resolveUser(const std::string& spec, const std::string& passwd,
                            const std::string& group);

// Reads /etc/passwd and /etc/group inside rootFd (missing files are empty) and resolves.
Result<UserIds> resolveUserInRoot(int rootFd, const std::string& spec);

}  // namespace spacelet::agent::build
