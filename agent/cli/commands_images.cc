// spacectl image import|ls|rm|prune|bootstrap: the node's image store (issue 7). Import,
// bootstrap and prune stream progress lines from the agent and end with a result or an error
// line; ls and rm are plain requests.
#include <filesystem>

#include "agent/cli/commands_list.h"
#include "agent/cli/table.h"

namespace spacelet::agent::cli {
namespace {

using nlohmann::json;

int exitCodeFor(const std::string& code) {
  if (code == "not_found") return kExitNotFound;
  if (code == "forbidden") return kExitForbidden;
  if (code == "conflict" || code == "already_exists" || code == "limit_reached")
    return kExitConflict;
  return kExitFailed;
}

std::string text(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string shortDigest(const std::string& digest) {
  return digest.substr(0, std::min<size_t>(digest.size(), 19));  // "sha256:" + 12
}

// Runs a job: progress lines as they come, then human(result). With --json, every line as is.
int runJob(Context& ctx, const std::string& path, const json& body,
           const std::function<void(const json&)>& human) {
  int status = kExitFailed;  // a stream that ends without its last line failed
  auto result = ctx.client.stream("POST", path, body.dump(), [&](const std::string& line) {
    if (line.empty()) return true;  // keep-alive
    auto j = json::parse(line, nullptr, false);
    if (ctx.json) ctx.out << line << "\n" << std::flush;
    if (j.is_discarded() || !j.is_object()) return true;
    if (j.contains("error")) {
      ctx.err << "spacectl: " << text(j["error"], "message") << "\n";
      status = exitCodeFor(text(j["error"], "code"));
    } else if (j.contains("result")) {
      if (!ctx.json) human(j["result"]);
      status = kExitOk;
    } else if (!ctx.json) {
      ctx.err << text(j, "progress") << "\n";
    }
    return true;
  });
  if (!result) return reportError(ctx, result.error());
  if (result->status < 200 || result->status >= 300) return reportHttpError(ctx, *result);
  if (status == kExitFailed && !ctx.json) ctx.err << "spacectl: the job ended without a result\n";
  return status;
}

int importImage(Context& ctx, const ParsedArgs& a) {
  std::error_code ec;
  auto path = std::filesystem::absolute(a.positionals[0], ec);
  if (ec) {
    ctx.err << "spacectl: '" << a.positionals[0] << "': " << ec.message() << "\n";
    return kExitUsage;
  }
  json body = {{"path", path.lexically_normal().string()}};
  if (a.has("--name")) body["name"] = a.get("--name");
  return runJob(ctx, "/v1/images/import", body, [&](const json& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : r["images"]) rows.push_back({text(i, "name"), text(i, "digest")});
    ctx.out << "imported " << text(r, "format") << "\n" << renderTable({"NAME", "DIGEST"}, rows);
  });
}

int list(Context& ctx, const ParsedArgs&) {
  return simpleRequest(ctx, "GET", "/v1/images", "", [&](const json& j) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : j["images"]) {
      std::string usedBy;
      for (const auto& s : i["used_by"])
        usedBy += (usedBy.empty() ? "" : ",") + s.get<std::string>();
      rows.push_back({i["name"].is_string() ? i["name"].get<std::string>() : "<none>",
                      shortDigest(text(i, "digest")),
                      i.contains("size") ? humanBytes(i["size"].get<uint64_t>()) : "?",
                      i.contains("layers") ? std::to_string(i["layers"].get<int>()) : "?",
                      text(i, "created"), usedBy.empty() ? "-" : usedBy});
    }
    ctx.out << renderTable({"NAME", "DIGEST", "SIZE", "LAYERS", "CREATED", "USED BY"}, rows);
  });
}

int remove(Context& ctx, const ParsedArgs& a) {
  return simpleRequest(ctx, "DELETE", "/v1/images?name=" + escapeSegment(a.positionals[0]), "",
                       [&](const json&) { ctx.out << "removed " << a.positionals[0] << "\n"; });
}

int prune(Context& ctx, const ParsedArgs& a) {
  return runJob(ctx, "/v1/images/prune", {{"all", a.has("--all")}}, [&](const json& r) {
    ctx.out << "removed " << r["images_removed"] << " images, " << r["cache_records_removed"]
            << " build cache records, " << r["blobs_removed"] << " blobs; freed "
            << humanBytes(r["bytes_freed"].get<uint64_t>()) << "\n";
  });
}

int bootstrap(Context& ctx, const ParsedArgs& a) {
  json body = {{"base", a.positionals.empty() ? "all" : a.positionals[0]},
               {"force", a.has("--force")}};
  return runJob(ctx, "/v1/images/bootstrap", body, [&](const json& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : r["images"]) {
      for (const auto& name : i["names"]) rows.push_back({name, text(i, "digest")});
    }
    ctx.out << renderTable({"NAME", "DIGEST"}, rows);
  });
}

}  // namespace

std::vector<Command> imageCommands() {
  return {
      {"image import",
       "PATH",
       "Import an image from a path on the node.",
       "PATH is an OCI layout directory, an oci-archive tar, a docker-archive tar (docker\n"
       "save) or a plain rootfs tarball (which needs --name). The agent reads it, so it must\n"
       "be on the agent's node and readable by you. Progress goes to stderr.",
       {{"--name", "", "NAME", "the image's name (required for a rootfs tarball)"}},
       1,
       1,
       importImage},
      {"image ls", "", "List the node's images and the Spaces that use them.", "", {}, 0, 0, list},
      {"image rm",
       "NAME",
       "Remove an image's name (its blobs go at the next prune).",
       "An image a Space's deployment uses is refused.",
       {},
       1,
       1,
       remove},
      {"image prune",
       "",
       "Remove dangling images and unreferenced blobs.",
       "With --all, also the build cache and images no Space uses (the recipes' base images\n"
       "are kept).",
       {{"--all", "", "", "also build cache and images no Space uses"}},
       0,
       0,
       prune},
      {"image bootstrap",
       "[busybox|python|all]",
       "Make the offline base images (default: all).",
       "busybox: busybox-static, the static recipe's base. python: Debian with python3, pip,\n"
       "venv and git, made with debootstrap from Debian's archive (needs it reachable), the\n"
       "gradio and streamlit recipes' base. Names come from builds.base_images.*.",
       {{"--force", "", "", "make them again even when they exist"}},
       0,
       1,
       bootstrap},
  };
}

}  // namespace spacelet::agent::cli
