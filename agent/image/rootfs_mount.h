// Root filesystems as overlayfs over unpacked layers. The layers stay shared and owned by the
// ids recorded in the image; for a user-namespaced container each lower is mounted idmapped
// (mount_setattr MOUNT_ATTR_IDMAP, see mount_setattr(2)) through a namespace mapping
// container 0 to the Space's host range, while the upper dir is plain and owned by host ids
// of that range (overlayfs refuses an idmapped upper when the mounter's ids are unmapped).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::image {

// Container ids [0, count) are host ids [hostId, hostId + count).
struct IdRange {
  uint32_t hostId = 0;
  uint32_t count = 65536;
};

// A user namespace fd with `range` as its uid and gid map. Made by a short-lived helper
// process (`unshare --user`), since the agent is threaded and never forks itself.
Result<UniqueFd> makeUserNamespace(const IdRange& range);

struct OverlaySpec {
  std::vector<std::string> lowers;  // bottom layer first; empty: an empty root
  std::string upper;                // empty: a read-only overlay
  std::string work;                 // required with upper, same filesystem
  std::string target;               // where to mount; must exist
  std::string scratch;              // a private directory for idmapped lower mounts
  int usernsFd = -1;                // borrowed; >= 0 maps the lowers through it
};

// The overlayfs mount option text (pure; exposed for tests). Lowers are listed top first.
std::string overlayOptions(const std::vector<std::string>& lowersBottomFirst,
                           const std::string& upper, const std::string& work);

// A mounted overlay; unmounts it (and its idmapped lowers) when destroyed.
class OverlayMount {
 public:
  static Result<OverlayMount> mount(const OverlaySpec& spec);
  OverlayMount() = default;
  OverlayMount(OverlayMount&& other) noexcept;
  OverlayMount& operator=(OverlayMount&& other) noexcept;
  ~OverlayMount();
  const std::string& target() const { return target_; }
  // Detaches now instead of at destruction; returns the first error.
  Result<void> unmount();
  // Leaves the mount in place (a running Space's root outlives the object).
  void release();

 private:
  std::string target_;
  std::vector<std::string> idmapped_;  // idmapped lower mount points, unmounted after target_
};

}  // namespace spacelet::agent::image
