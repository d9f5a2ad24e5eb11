// The steps of one deployment (see deployer.h).
#include "agent/supervisor/deployer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent/bundle/bundle.h"
#include "agent/git/bare_repo.h"
#include "agent/git/upstream.h"
#include "agent/image/bootstrap.h"
#include "agent/store/clock.h"
#include "agent/store/space_paths.h"
#include "agent/supervisor/health_probe.h"
#include "agent/supervisor/layout.h"
#include "agent/supervisor/log_tail.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::supervisor {
namespace {

constexpr size_t kMaxReadmeBytes = 1 << 20;
constexpr size_t kMaxDockerfileBytes = 1 << 20;

std::string shortSha(const std::string& sha) {
  return sha.substr(0, 7);
}

}  // namespace

void Deployer::changed() {
  if (req_.onRecord) req_.onRecord(record_);
}

void Deployer::buildLog(std::string_view line) {
  if (buildLog_) (void)buildLog_->append(line);
}

Unexpected Deployer::failWith(Failure failure, Error error) {
  failure_ = failure;
  record_.outcome = Outcome::kFailed;
  record_.failedStage = std::string(store::stageName(failureStage(failure)));
  record_.error = error.message;
  record_.endedAtMs = store::nowMs();
  buildLog("spacelet: " + record_.failedStage + ": " + error.message);
  cleanUp();
  changed();
  return fail(std::move(error));
}

Result<Started> Deployer::run() {
  auto paths = deploymentPaths(node_.stateDir, req_.space.id, record_.seq);
  std::error_code ec;
  std::filesystem::create_directories(paths.dir, ec);
  if (ec) return failWith(Failure::kBuild, Error{ec.value(), "create '" + paths.dir + "'"});
  auto writer = monitor::LogWriter::open(
      paths.buildLog, node_.runner.logLimits,
      [](std::string_view t) { return store::formatLogLine(store::nowMs(), t); });
  if (writer) buildLog_.emplace(std::move(*writer));
  if (record_.buildSeq == record_.seq) {
    pointCurrentLog(store::logsDir(node_.stateDir, req_.space.id), "build.log", paths.buildLog);
    if (req_.onStep) req_.onStep(Step::kBuild);
    if (auto ok = resolveCommit(); !ok) return fail(std::move(ok).error());
    if (auto ok = exportCommit(); !ok) return fail(std::move(ok).error());
    auto config = readConfig();
    if (!config) return fail(std::move(config).error());
    if (auto ok = buildImage(*config); !ok) return fail(std::move(ok).error());
  } else {
    buildLog("spacelet: " + record_.reason + ": reusing the build of deployment #" +
             std::to_string(record_.buildSeq) + " (commit " + shortSha(record_.sha) + ")");
  }
  if (req_.onStep) req_.onStep(Step::kStart);
  record_.outcome = Outcome::kStarting;
  changed();
  auto image = builtImage();
  if (!image) return failWith(Failure::kStart, std::move(image).error());
  auto net = attachNetwork();
  if (!net) return failWith(Failure::kStart, std::move(net).error().withContext("attach network"));
  if (auto ok = makeBundle(*image, *net); !ok) {
    return failWith(Failure::kStart, std::move(ok).error().withContext("make the bundle"));
  }
  return startAndProbe(*net);
}

Result<void> Deployer::resolveCommit() {
  auto repo = git::BareRepo::open(repoPath(node_.stateDir, req_.space.id));
  if (!repo) return failWith(Failure::kBuild, std::move(repo).error());
  if (!req_.space.source.empty()) {
    buildLog("spacelet: fetching " + req_.space.source);
    auto fetched = git::fetchUpstream(*repo, git::parseSource(req_.space.source));
    if (!fetched) return failWith(Failure::kBuild, std::move(fetched).error());
  }
  std::string sha = req_.job.sha;
  if (sha.empty()) {
    auto tip = repo->branchTip();
    if (!tip) return failWith(Failure::kBuild, std::move(tip).error());
    if (!*tip) {
      return failWith(Failure::kNoAppFile,
                      Error::invalid("nothing has been pushed to branch 'main' yet: push with "
                                     "'git push <repository> HEAD:main' (spacectl repo " +
                                     req_.space.id.str() + " prints the repository)"));
    }
    sha = **tip;
  }
  auto info = repo->commit(sha);
  if (!info) return failWith(Failure::kBuild, std::move(info).error());
  record_.sha = info->sha;
  record_.summary = info->summary;
  changed();
  buildLog("spacelet: deployment #" + std::to_string(record_.seq) + " of " + req_.space.id.str() +
           ": commit " + shortSha(info->sha) + " \"" + info->summary + "\" (" + record_.reason +
           ")");
  return {};
}

Result<void> Deployer::exportCommit() {
  auto paths = deploymentPaths(node_.stateDir, req_.space.id, record_.seq);
  std::error_code ec;
  std::filesystem::remove_all(paths.source, ec);  // a run interrupted by an agent restart
  auto repo = git::BareRepo::open(repoPath(node_.stateDir, req_.space.id));
  if (!repo) return failWith(Failure::kBuild, std::move(repo).error());
  auto stats = git::exportTree(*repo, record_.sha, paths.source, node_.exportLimits);
  if (!stats) return failWith(Failure::kConfig, std::move(stats).error());
  buildLog("spacelet: exported " + std::to_string(stats->files) + " files (" +
           std::to_string(stats->bytes) + " bytes)");
  for (const auto& sub : stats->submodules) {
    buildLog("spacelet: submodule '" + sub + "' is not fetched; vendor its files instead");
  }
  return {};
}

Result<git::SpaceConfig> Deployer::readConfig() {
  auto repo = git::BareRepo::open(repoPath(node_.stateDir, req_.space.id));
  if (!repo) return failWith(Failure::kBuild, std::move(repo).error());
  auto readme = repo->readFile(record_.sha, "README.md", kMaxReadmeBytes);
  if (!readme) return failWith(Failure::kConfig, std::move(readme).error());
  auto config = git::parseReadme(*readme, req_.space.sdk);
  if (!config) return failWith(Failure::kConfig, std::move(config).error());
  auto missing = git::missingAppFile(*config, [&](const std::string& path) {
    auto has = repo->hasPath(record_.sha, path);
    return has && *has;
  });
  if (missing) return failWith(Failure::kNoAppFile, Error::invalid(*missing));
  for (const auto& key : config->ignoredKeys) {
    buildLog("spacelet: README.md key '" + key + "' is not used by spacelet");
  }
  record_.sdk = config->sdk;
  record_.title = config->title;
  record_.startupTimeoutSeconds = config->startupDurationTimeout.count();
  return config;
}

Result<std::string> Deployer::dockerfileFor(const git::SpaceConfig& config) {
  auto paths = deploymentPaths(node_.stateDir, req_.space.id, record_.seq);
  if (config.sdk == "docker") {
    record_.appPort = config.appPort;
    auto text = readFileAt(AT_FDCWD, paths.source + "/Dockerfile");
    if (!text) return fail(std::move(text).error());
    if (text->size() > kMaxDockerfileBytes) return failInvalid("the Dockerfile is over 1 MiB");
    return text;
  }
  build::RecipeInputs inputs;
  inputs.sdk = config.sdk;
  inputs.sdkVersion = config.sdkVersion;
  inputs.appFile = config.appFile;
  inputs.appPort = config.appPort;
  inputs.appBuildCommand = config.appBuildCommand;
  auto exists = [&](const char* f) { return std::filesystem::exists(paths.source + "/" + f); };
  inputs.hasPackagesTxt = exists("packages.txt");
  inputs.hasPreRequirements = exists("pre-requirements.txt");
  inputs.hasRequirements = exists("requirements.txt");
  record_.appPort = build::recipePort(inputs);
  build::RecipeSettings settings = node_.recipes;
  // builds.apt_sources names a file on the node; the recipe writes its text into the image.
  if (!node_.aptSourcesFile.empty()) {
    auto sources = readFileAt(AT_FDCWD, node_.aptSourcesFile);
    if (!sources) {
      return fail(Error{sources.error().code,
                        "builds.apt_sources '" + node_.aptSourcesFile + "' cannot be read (" +
                            sources.error().message +
                            "); make it a readable sources.list file, or \"\" for the base "
                            "image's own sources"});
    }
    settings.aptSources = std::move(*sources);
  }
  return build::recipeDockerfile(inputs, settings);
}

// The minimal base image (busybox) is made on the node when missing: it is offline and quick,
// and static Spaces need it out of the box.
void Deployer::ensureBaseImage() {
  std::lock_guard lock(*node_.baseImageLock);
  if (node_.images->get(node_.recipes.staticBase)) return;
  buildLog("spacelet: making the base image '" + node_.recipes.staticBase + "' from busybox");
  image::BootstrapOptions options;
  options.busyboxName = node_.recipes.staticBase;
  options.progress = [this](std::string_view line) { buildLog(line); };
  if (auto made = image::bootstrapBusybox(*node_.images, options); !made) {
    buildLog("spacelet: " + made.error().message);
  }
}

Result<void> Deployer::buildImage(const git::SpaceConfig& config) {
  ensureBaseImage();
  auto dockerfile = dockerfileFor(config);
  if (!dockerfile) return failWith(Failure::kBuild, std::move(dockerfile).error());
  build::BuildOptions options;
  options.id = buildId(req_.space.id, record_.seq);
  options.contextDir = deploymentPaths(node_.stateDir, req_.space.id, record_.seq).source;
  options.dockerfile = *dockerfile;
  options.tag = imageName(req_.space.id, record_.seq);
  options.buildArgs = req_.space.variables;
  options.secrets = req_.space.secrets;
  if (!node_.wheelhouse.empty()) options.namedContexts["wheelhouse"] = node_.wheelhouse;
  if (!node_.aptRepository.empty()) options.namedContexts["aptrepository"] = node_.aptRepository;
  options.noCache = req_.job.noCache;
  // The build's own limits when configured, else the Space's flavor.
  const config::Flavor& f = req_.space.flavor;
  double cpus = node_.buildCpus > 0 ? node_.buildCpus : f.cpus;
  uint64_t memory = node_.buildMemoryBytes > 0 ? node_.buildMemoryBytes : f.memoryBytes;
  options.limits.memoryBytes = static_cast<int64_t>(memory);
  options.limits.pids = static_cast<int64_t>(f.pidsMax);
  options.limits.cpuQuotaMicros = static_cast<int64_t>(cpus * 100000);
  options.limits.stepTimeout = node_.buildTimeout;
  options.ids = req_.space.ids;
  auto built = runBuild(std::move(options));
  if (!built) {
    auto paths = deploymentPaths(node_.stateDir, req_.space.id, record_.seq);
    auto tail = readLastLines(paths.buildLog, node_.logTailLines);
    return failWith(Failure::kBuild,
                    Error{built.error().code, withLogTail(built.error().message, tail)});
  }
  record_.image = built->image.manifestBlob.digest.str();
  record_.builtAtMs = store::nowMs();
  buildLog("spacelet: built " + record_.image + " in " + std::to_string(built->duration.count()) +
           " ms (" + std::to_string(built->cacheHits) + "/" + std::to_string(built->steps) +
           " steps cached)");
  changed();
  return {};
}

// In a build slot, after the disk check, with the build's own network, released whatever
// the outcome.
Result<build::BuildResult> Deployer::runBuild(build::BuildOptions options) {
  if (node_.buildSlots) node_.buildSlots->acquire();
  auto built = [&]() -> Result<build::BuildResult> {
    if (node_.makeRoomForBuild) SPACELET_TRY(node_.makeRoomForBuild());
    auto network = attachBuildNetwork();
    if (!network) return fail(std::move(network).error().withContext("attach the build's network"));
    options.network = *network;
    return build::build(*node_.images, node_.builder, options,
                        [this](std::string_view line) { buildLog(line); });
  }();
  releaseBuildNetwork();
  if (node_.buildSlots) node_.buildSlots->release();
  return built;
}

// RUN steps get the Space's egress rule in a namespace of their own (never the serving
// deployment's, which keeps serving during the build). Without a NetPolicy, or with
// builds.network "none": loopback only.
Result<build::BuildNetwork> Deployer::attachBuildNetwork() {
  if (!node_.network) return build::BuildNetwork{};
  if (!node_.buildNetwork) {
    buildLog("spacelet: no build network (builds.network: none): RUN steps have loopback only");
    return build::BuildNetwork{};
  }
  if (node_.networkReady) SPACELET_TRY(node_.networkReady());
  auto net = node_.network->attach({buildNetworkKey(req_.space.id, record_.seq), 0});
  if (!net) return fail(std::move(net).error());
  buildNetworkAttached_ = true;
  std::string ports;
  for (uint16_t port : node_.network->config().egressTcpPorts)
    ports += (ports.empty() ? "" : ", ") + std::to_string(port);
  buildLog("spacelet: build network " + net->spaceIpv4.toString() +
           " (the Space's egress policy: DNS to the node's resolver, TCP " + ports + ")");
  return build::BuildNetwork{net->netnsPath, net->resolvConf};
}

void Deployer::releaseBuildNetwork() {
  if (!buildNetworkAttached_) return;
  buildNetworkAttached_ = false;
  auto released = node_.network->release(buildNetworkKey(req_.space.id, record_.seq));
  if (!released) buildLog("spacelet: release the build network: " + released.error().message);
}

Result<image::Image> Deployer::builtImage() {
  if (record_.image.empty())
    return failInvalid("deployment #" + std::to_string(record_.buildSeq) + " has no image to run");
  auto image = node_.images->get(record_.image);
  if (!image)
    return fail(std::move(image).error().withContext("the image of deployment #" +
                                                     std::to_string(record_.buildSeq)));
  return image;
}

Result<netpolicy::SpaceNetwork> Deployer::attachNetwork() {
  if (node_.networkReady) SPACELET_TRY(node_.networkReady());
  netpolicy::SpaceSpec spec{networkKey(req_.space.id, record_.seq),
                            static_cast<uint16_t>(record_.appPort)};
  auto net = node_.network->attach(spec);
  if (net) networkAttached_ = true;
  return net;
}

Result<void> Deployer::makeBundle(const image::Image& image, const netpolicy::SpaceNetwork& net) {
  auto paths = deploymentPaths(node_.stateDir, req_.space.id, record_.seq);
  if (std::filesystem::exists(paths.bundle)) (void)bundle::removeBundle(paths.bundle);
  bundle::BundleRequest request;
  request.image = image;
  request.space = {req_.space.id.str(), record_.title, spaceHost(req_.space.id, node_.domain),
                   record_.appPort,     record_.sdk,   req_.space.variables,
                   req_.space.secrets};
  const config::Flavor& f = req_.space.flavor;
  request.flavor = {req_.space.flavorName, f.cpus, static_cast<int64_t>(f.memoryBytes),
                    static_cast<int64_t>(f.pidsMax), f.gpus > 0 ? f.gpuModel : ""};
  request.settings.ids = req_.space.ids;
  request.settings.tmpBytes = static_cast<int64_t>(f.tmpBytes);
  request.settings.cgroupsPath = node_.cgroups.cgroupsPath(
      "spacelet-spaces",
      req_.space.id.author + "--" + req_.space.id.name + "--" + std::to_string(record_.seq));
  request.settings.netnsPath = net.netnsPath;
  request.resolvConf = net.resolvConf;
  request.settings.hostname = req_.space.id.author + "-" + req_.space.id.name;
  request.cdi = req_.space.cdi.get();
  request.gpus = req_.space.gpus;
  request.dir = paths.bundle;
  auto made = bundle::makeBundle(*node_.images, request);
  if (!made) return fail(std::move(made).error());
  bundleMade_ = true;
  return {};
}

Result<Started> Deployer::startAndProbe(const netpolicy::SpaceNetwork& net) {
  auto paths = deploymentPaths(node_.stateDir, req_.space.id, record_.seq);
  InstanceSpec spec{req_.space.id, record_.seq,           0,
                    paths.bundle,  paths.monitorState(0), paths.runLog};
  auto instance = startInstance(node_.runner, spec);
  if (!instance) {
    auto tail = readLastLines(paths.runLog, node_.logTailLines);
    return failWith(Failure::kStart,
                    Error{instance.error().code, withLogTail(instance.error().message, tail)});
  }
  record_.containerId = (*instance)->containerId();
  std::string ip = net.spaceIpv4.toString();
  record_.address = ip + ":" + std::to_string(record_.appPort);
  changed();
  ProbeTarget target{ip, static_cast<uint16_t>(record_.appPort), node_.nodeNetns,
                     spaceHost(req_.space.id, node_.domain)};
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(record_.startupTimeoutSeconds);
  Instance* running = instance->get();
  auto healthy = waitHealthy(target, deadline, [&] {
    return !running->exited() && !(req_.cancelled && req_.cancelled->load());
  });
  if (healthy) return Started{std::move(*instance), record_.address};
  std::string why = healthy.error().message;
  if (running->exited()) {
    auto state = running->refresh();
    if (state) {
      why = "the app stopped (" +
            exitReason(state->signaled, state->exitValue, state->oomKilled,
                       static_cast<int64_t>(req_.space.flavor.memoryBytes)) +
            ") before answering on port " + std::to_string(record_.appPort);
    }
  }
  (void)stopInstance(node_.runner, *running, std::chrono::seconds(2));
  auto tail = readLastLines(paths.runLog, node_.logTailLines);
  return failWith(Failure::kStart, Error{healthy.error().code, withLogTail(why, tail)});
}

void Deployer::cleanUp() {
  auto paths = deploymentPaths(node_.stateDir, req_.space.id, record_.seq);
  if (bundleMade_) (void)bundle::removeBundle(paths.bundle);
  bundleMade_ = false;
  if (networkAttached_) (void)node_.network->release(networkKey(req_.space.id, record_.seq));
  networkAttached_ = false;
  releaseBuildNetwork();
}

}  // namespace spacelet::agent::supervisor
