// `spacelet-run update [--resources FILE|-] [--memory N ...] ID`: runc's update flags are
// turned into a linux.resources object, so the cgroup module parses one format only.
#include <fcntl.h>

#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"
#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr FlagSpec kFlags[] = {
    {"resources", "r", true, "a linux.resources JSON file, or - for stdin"},
    {"memory", "", true, "memory limit in bytes"},
    {"memory-reservation", "", true, "memory soft limit in bytes"},
    {"memory-swap", "", true, "memory+swap limit in bytes (-1: unlimited)"},
    {"cpu-shares", "", true, "relative CPU weight"},
    {"cpu-quota", "", true, "CPU time per period, in microseconds (-1: unlimited)"},
    {"cpu-period", "", true, "CPU period in microseconds"},
    {"cpuset-cpus", "", true, "CPUs to run on, e.g. 0-1"},
    {"cpuset-mems", "", true, "memory nodes to use"},
    {"pids-limit", "", true, "maximum number of processes (-1: unlimited)"},
    {"blkio-weight", "", true, "block I/O weight (10-1000)"},
    {"help", "h", false, "show this help"},
};

struct NumericFlag {
  const char* flag;
  const char* group;
  const char* field;
  bool isSigned;
};

constexpr NumericFlag kNumeric[] = {
    {"memory", "memory", "limit", true},     {"memory-reservation", "memory", "reservation", true},
    {"memory-swap", "memory", "swap", true}, {"cpu-shares", "cpu", "shares", false},
    {"cpu-quota", "cpu", "quota", true},     {"cpu-period", "cpu", "period", false},
    {"pids-limit", "pids", "limit", true},
};

Result<spec::Json> numberOf(const std::string& flag, const std::string& text, bool isSigned) {
  size_t used = 0;
  try {
    if (isSigned) {
      long long v = std::stoll(text, &used);
      if (used == text.size()) return spec::Json(v);
    } else if (!text.empty() && text[0] != '-') {
      unsigned long long v = std::stoull(text, &used);
      if (used == text.size()) return spec::Json(v);
    }
  } catch (const std::exception&) {
  }
  return failInvalid("--" + flag + " '" + text + "': expected " +
                     (isSigned ? "an integer" : "a non-negative integer"));
}

}  // namespace

Result<UpdateArgs> parseUpdate(const Args& args) {
  auto parsed = parseFlags(args, kFlags, true);
  if (!parsed) return fail(std::move(parsed).error());
  if (parsed->positional.size() != 1) {
    return failInvalid(
        "update takes exactly one container id (usage: spacelet-run update "
        "[options] ID)");
  }
  UpdateArgs out;
  out.id = parsed->positional[0];
  out.resourcesFile = parsed->value("resources");
  for (const auto& n : kNumeric) {
    if (!parsed->has(n.flag)) continue;
    auto value = numberOf(n.flag, parsed->value(n.flag), n.isSigned);
    if (!value) return fail(std::move(value).error());
    out.resources[n.group][n.field] = *value;
  }
  if (parsed->has("cpuset-cpus")) out.resources["cpu"]["cpus"] = parsed->value("cpuset-cpus");
  if (parsed->has("cpuset-mems")) out.resources["cpu"]["mems"] = parsed->value("cpuset-mems");
  if (parsed->has("blkio-weight")) {
    auto value = numberOf("blkio-weight", parsed->value("blkio-weight"), false);
    if (!value) return fail(std::move(value).error());
    out.resources["blockIO"]["weight"] = *value;
  }
  if (out.resourcesFile.empty() && out.resources.empty()) {
    return failInvalid("update needs --resources FILE or at least one limit flag (see --help)");
  }
  return out;
}

int runUpdate(const Context& context, const Args& args) {
  if (int rc = helpIfAsked(args, usage("update [options] ID", kFlags)); rc >= 0) return rc;
  auto parsed = parseUpdate(args);
  if (!parsed) return reportError(parsed.error());
  spec::Json resources = parsed->resources;
  std::string where = "update flags";
  if (!parsed->resourcesFile.empty()) {
    const std::string& file = parsed->resourcesFile;
    auto text = file == "-" ? readAll(0) : readFileAt(AT_FDCWD, file);
    if (!text) return reportError(text.error().withContext("read --resources '" + file + "'"));
    auto json = spec::parseJson(*text, "--resources '" + file + "'");
    if (!json) return reportError(json.error());
    resources = *json;
    where = "--resources '" + file + "'";
  }
  auto parsedResources = cgroup::parseResources(resources, "resources");
  if (!parsedResources) return reportError(parsedResources.error().withContext(where));
  auto updated = container::update(context.global, parsed->id, *parsedResources);
  if (!updated) return reportError(updated.error().withContext("update '" + parsed->id + "'"));
  return 0;
}

}  // namespace spacelet::sandbox::cli
