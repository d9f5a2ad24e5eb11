// `spacelet-run spec [--bundle DIR] [--rootless]`: writes DIR/config.json, refusing to
// overwrite one that exists (as runc does).
#include <fcntl.h>
#include <sys/stat.h>

#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"
#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"bundle", "b", true, "where to write config.json; default: ."},
    {"rootless", "", false, "a user namespace mapping the caller's uid and gid to root"},
    {"help", "h", false, "show this help"},
};

}  // namespace

Result<SpecArgs> parseSpec(const Args& args) {
  auto parsed = parseFlags(args, kFlags, true);
  if (!parsed) return fail(std::move(parsed).error());
  if (!parsed->positional.empty()) return failInvalid("spec takes no arguments besides flags");
  return SpecArgs{parsed->value("bundle", "."), parsed->flag("rootless")};
}

int runSpec(const Context&, const Args& args) {
  if (int rc = helpIfAsked(args, usage("spec [options]", kFlags)); rc >= 0) return rc;
  auto parsed = parseSpec(args);
  if (!parsed) return reportError(parsed.error());
  std::string path = parsed->bundle + "/config.json";
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    return reportError(Error::invalid("'" + path + "' exists; remove it first"));
  }
  std::string text = container::defaultSpec(parsed->rootless).dump(2) + "\n";
  auto written = writeFileAtomicAt(AT_FDCWD, path, text, 0644);
  if (!written) return reportError(written.error());
  return 0;
}

}  // namespace spacelet::sandbox::cli
