// The node's images (issue 7, see docs/api.md): list, remove, and the long jobs (import from
// a path on the node, bootstrap of the offline base images, prune) whose progress streams as
// NDJSON while a worker thread does the work. Each asks the ImageService.
#include <sys/stat.h>

#include <algorithm>

#include "agent/api/api.h"
#include "agent/api/job_stream.h"
#include "agent/api/json_body.h"

namespace spacelet::agent::api {
namespace {

Response noImageStore() {
  return errorResponse(404, "not_found",
                       "this agent has no image store (it runs without the Space supervisor)");
}

// Whether the caller could read `st` itself: the agent runs as root, so a group member must
// not import what only root may read. Directories also need search permission.
bool readableBy(const struct stat& st, const Peer& peer) {
  if (peer.uid == 0) return true;
  mode_t need = S_ISDIR(st.st_mode) ? 05 : 04;
  if (st.st_uid == peer.uid) return ((st.st_mode >> 6) & need) == need;
  bool member = st.st_gid == peer.gid ||
                std::find(peer.groups.begin(), peer.groups.end(), st.st_gid) != peer.groups.end();
  if (member) return ((st.st_mode >> 3) & need) == need;
  return (st.st_mode & need) == need;
}

Result<void> checkImportPath(const std::string& path, const Peer& peer) {
  if (path.empty() || path[0] != '/') {
    return failInvalid("field 'path': '" + path +
                       "' is not an absolute path on the node (spacectl makes relative paths "
                       "absolute)");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail(Error{ENOENT, "field 'path': '" + path + "' does not exist on the node"});
  }
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
    return failInvalid("field 'path': '" + path +
                       "' is neither a file (an archive) nor a directory (an OCI layout)");
  }
  if (!readableBy(st, peer)) {
    return fail(Error{EACCES, "field 'path': '" + path + "' is not readable by uid " +
                                  std::to_string(peer.uid) + ", so the agent will not read it"});
  }
  return {};
}

Response jsonResponse(const nlohmann::json& body) {
  Response r;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

}  // namespace

Response Api::listImages(Request&, const Params&) {
  if (!ctx_.images) return noImageStore();
  auto list = ctx_.images->list();
  if (!list) return errorFor(list.error());
  return jsonResponse(*list);
}

Response Api::removeImage(Request& request, const Params&) {
  if (!ctx_.images) return noImageStore();
  auto name = request.queryValue("name");
  if (!name || name->empty()) {
    return errorFor(Error::invalid(
        "query parameter 'name' is required: the image to remove (a name or a sha256 digest)"));
  }
  auto removed = ctx_.images->remove(*name);
  if (!removed) return errorFor(removed.error());
  return jsonResponse(*removed);
}

Response Api::importImage(Request& request, const Params&) {
  if (!ctx_.images) return noImageStore();
  auto body = JsonBody::parse(request.body);
  if (!body) return errorFor(body.error());
  ImageJob job;
  job.kind = ImageJob::Kind::kImport;
  auto path = body->requiredString("path");
  if (!path) return errorFor(path.error());
  auto name = body->optionalString("name");
  if (!name) return errorFor(name.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  if (auto ok = checkImportPath(*path, request.peer); !ok) {
    if (ok.error().code == EACCES) return errorResponse(403, "forbidden", ok.error().message);
    return errorFor(ok.error());
  }
  job.path = *path;
  job.name = name->value_or("");
  return startImageJob(job);
}

Response Api::bootstrapImages(Request& request, const Params&) {
  if (!ctx_.images) return noImageStore();
  auto body = JsonBody::parse(request.body, true);
  if (!body) return errorFor(body.error());
  auto base = body->optionalString("base");
  if (!base) return errorFor(base.error());
  auto force = body->optionalBool("force");
  if (!force) return errorFor(force.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  ImageJob job;
  job.kind = ImageJob::Kind::kBootstrap;
  std::string which = base->value_or("all");
  if (which == "all") {
    job.bases = {"busybox", "python"};
  } else if (which == "busybox" || which == "python") {
    job.bases = {which};
  } else {
    return errorFor(
        Error::invalid("field 'base' must be 'busybox', 'python' or 'all', not '" + which + "'"));
  }
  job.force = force->value_or(false);
  return startImageJob(job);
}

Response Api::pruneImages(Request& request, const Params&) {
  if (!ctx_.images) return noImageStore();
  auto body = JsonBody::parse(request.body, true);
  if (!body) return errorFor(body.error());
  auto all = body->optionalBool("all");
  if (!all) return errorFor(all.error());
  if (auto ok = body->finish(); !ok) return errorFor(ok.error());
  ImageJob job;
  job.kind = ImageJob::Kind::kPrune;
  job.all = all->value_or(false);
  return startImageJob(job);
}

Response Api::startImageJob(const ImageJob& job) {
  if (auto busy = tooManyStreams()) return *busy;
  auto stream = std::make_shared<JobStream>(ctx_.config()->api.streamBufferBytes);
  std::weak_ptr<JobStream> weak = stream;
  auto started = ctx_.images->start(
      job,
      [weak](std::string_view line) {
        if (auto s = weak.lock()) s->progress(line);
      },
      [weak](Result<nlohmann::json> result) {
        if (auto s = weak.lock()) s->done(result);
      });
  if (!started) return errorFor(started.error());
  Response r;
  r.contentType = "application/x-ndjson";
  r.stream = std::move(stream);
  return r;
}

}  // namespace spacelet::agent::api
