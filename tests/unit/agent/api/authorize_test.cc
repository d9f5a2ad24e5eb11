// Tests of the API's authorization rule on SO_PEERCRED identities: root, the agent's own user,
// and members of the group (primary or supplementary) may; everyone else, and callers whose
// credentials could not be read, may not.
#include <gtest/gtest.h>

#include "agent/api/api.h"

namespace spacelet::agent::api {
namespace {

Peer peer(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
  return Peer{true, 1234, uid, gid, std::move(groups)};
}

TEST(Authorize, RootOwnUserAndGroupMembers) {
  std::optional<gid_t> group = 990;
  EXPECT_TRUE(Api::authorized(peer(0, 0), group, 0));
  EXPECT_TRUE(Api::authorized(peer(500, 500), group, 500));  // the agent's own user
  EXPECT_TRUE(Api::authorized(peer(1000, 990), group, 0));
  EXPECT_TRUE(Api::authorized(peer(1000, 1000, {27, 990}), group, 0));
  EXPECT_FALSE(Api::authorized(peer(1000, 1000, {27}), group, 0));
  EXPECT_FALSE(Api::authorized(peer(1000, 1000, {990}), std::nullopt, 0));  // no such group
  EXPECT_FALSE(Api::authorized(Peer{}, group, 0));                          // unknown caller
}

}  // namespace
}  // namespace spacelet::agent::api
