// applyWrites: the only code that turns a cgroup plan into file writes.
#include "write_plan.h"

#include <fcntl.h>

#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::cgroup {

Result<void> applyWrites(int dirfd, const std::vector<Write>& writes) {
  for (const Write& w : writes) {
    auto written = writeFileAt(dirfd, w.file, w.value);
    if (!written) {
      std::string context = w.field.empty() ? "cgroup" : w.field;
      return fail(std::move(written).error().withContext(context));
    }
  }
  return {};
}

}  // namespace spacelet::sandbox::cgroup
