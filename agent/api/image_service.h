// The seam between the /v1/images routes and the node's image store (issue 7): listing and
// removing images answer at once; import, bootstrap and prune are jobs that run on a worker
// thread and report progress lines, so the event loop never waits on a disk or debootstrap.
// The supervisor implements it (it owns the store and knows which images Spaces use).
// Thread-safety: every call comes on the event loop thread; so do progress and done.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::api {

struct ImageJob {
  enum class Kind { kImport, kBootstrap, kPrune };
  Kind kind = Kind::kImport;
  std::string path;                // import: a file or directory on the node
  std::string name;                // import: the name to give ("" keeps the archive's)
  std::vector<std::string> bases;  // bootstrap: "busybox", "python"
  bool force = false;              // bootstrap: make it again even when it exists
  bool all = false;                // prune: also build cache and images no Space uses
};

class ImageService {
 public:
  virtual ~ImageService() = default;

  // {"images": [{"name", "digest", "size", "layers", "created", "used_by": [Space ids]}]}.
  virtual Result<nlohmann::json> list() = 0;
  // Removes a name (its blobs go at the next prune). EBUSY when a Space uses the image.
  virtual Result<nlohmann::json> remove(const std::string& ref) = 0;

  using Progress = std::function<void(std::string_view line)>;
  using Done = std::function<void(Result<nlohmann::json>)>;
  // Starts a job; EBUSY while another image job runs. progress is called for each step and
  // done exactly once at the end with the job's result (or error).
  virtual Result<void> start(const ImageJob& job, Progress progress, Done done) = 0;
};

}  // namespace spacelet::agent::api
