// The node's images through the real spaceletd and spacectl over the real socket: import of
// each of the four formats, ls, rm (refused for an image a Space's deployment uses), prune
// (counting blob files before and after), bootstrap of the busybox base, and bad input (a
// non-tar, a layer with a '../' entry, a store without room) refused with an error that names
// the problem while the agent keeps serving.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "agent/image/digest.h"
#include "agent/image/oci.h"
#include "agent/store/space_paths.h"
#include "agent/supervisor/deployment.h"
#include "agent/supervisor/layout.h"
#include "agent_fixture.h"
#include "test_tar.h"

namespace spacelet::agent::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using spacelet::testing::CommandResult;
using spacelet::testing::runCommand;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

size_t countFiles(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

class ImageApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the agent's supervisor needs root (cgroups, netns)";
    work_ = fs::path(agent_.dir()) / "work";
    fs::create_directories(work_ / "root/etc");
    spit(work_ / "root/etc/hello.txt", "hello from an imported image\n");
    spit(work_ / "root/app/main.py", "print('hi')\n");
  }
  void startAgent() { ASSERT_EQ(agent_.start(), ""); }

  CommandResult ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {spacectlPath(), "--socket", agent_.socket()});
    return runCommand(args);
  }
  void tar(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"tar"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = runCommand(argv);
    ASSERT_EQ(r.status, 0) << r.output;
  }
  std::string blobsDir() const { return agent_.stateDir() + "/images/blobs/sha256"; }
  bool agentAnswers() const { return agent_.call("GET", "/v1/info").status == 200; }

  // The rootfs as a layer tar, with the config and manifest that name it.
  struct Layer {
    std::string tar, config, manifest;
  };
  Layer makeLayer() {
    tar({"-C", work_ / "root", "-cf", work_ / "layer.tar", "."});
    Layer l;
    l.tar = slurp(work_ / "layer.tar");
    std::string diffId = image::sha256Of(l.tar).str();
    l.config = json{{"architecture", "amd64"},
                    {"os", "linux"},
                    {"config", {{"Cmd", {"/bin/sh"}}}},
                    {"rootfs", {{"type", "layers"}, {"diff_ids", {diffId}}}}}
                   .dump();
    l.manifest = json{{"schemaVersion", 2},
                      {"mediaType", image::kMediaTypeManifest},
                      {"config",
                       {{"mediaType", image::kMediaTypeConfig},
                        {"digest", image::sha256Of(l.config).str()},
                        {"size", l.config.size()}}},
                      {"layers",
                       {{{"mediaType", image::kMediaTypeLayerTar},
                         {"digest", diffId},
                         {"size", l.tar.size()}}}}}
                     .dump();
    return l;
  }
  fs::path makeOciLayout(const Layer& l) {
    fs::path dir = work_ / "oci";
    for (const std::string* blob : {&l.tar, &l.config, &l.manifest}) {
      spit(dir / "blobs/sha256" / image::sha256Of(*blob).hex(), *blob);
    }
    spit(dir / "oci-layout", R"({"imageLayoutVersion": "1.0.0"})");
    spit(dir / "index.json", json{{"schemaVersion", 2},
                                  {"manifests",
                                   {{{"mediaType", image::kMediaTypeManifest},
                                     {"digest", image::sha256Of(l.manifest).str()},
                                     {"size", l.manifest.size()},
                                     {"annotations", {{image::kAnnotationRefName, "1"}}}}}}}
                                 .dump());
    return dir;
  }
  fs::path makeDockerArchive(const Layer& l) {
    fs::path dir = work_ / "docker";
    spit(dir / "abc/layer.tar", l.tar);
    spit(dir / "cfg.json", l.config);
    spit(dir / "manifest.json", json::array({{{"Config", "cfg.json"},
                                              {"RepoTags", {"test/docker:1"}},
                                              {"Layers", {"abc/layer.tar"}}}})
                                    .dump());
    tar({"-C", dir, "-cf", work_ / "docker.tar", "manifest.json", "cfg.json", "abc"});
    return work_ / "docker.tar";
  }

  AgentInstance agent_;
  fs::path work_;
};

TEST_F(ImageApiTest, ImportsEachFormatAndListsIt) {
  startAgent();
  Layer layer = makeLayer();
  tar({"-C", work_ / "root", "-czf", work_ / "rootfs.tar.gz", "."});
  fs::path oci = makeOciLayout(layer);
  tar({"-C", oci, "-cf", work_ / "oci.tar", "."});
  fs::path docker = makeDockerArchive(layer);

  struct Case {
    std::string path, name, format, expectName;
  } cases[] = {
      {work_ / "rootfs.tar.gz", "test/rootfs:1", "rootfs", "test/rootfs:1"},
      {oci, "test/oci-layout:1", "oci-layout", "test/oci-layout:1"},
      {work_ / "oci.tar", "test/oci-archive:1", "oci-archive", "test/oci-archive:1"},
      {docker, "", "docker-archive", "test/docker:1"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"image", "import", c.path};
    if (!c.name.empty()) args.insert(args.end(), {"--name", c.name});
    auto r = ctl(args);
    EXPECT_EQ(r.status, 0) << c.path << ": " << r.output;
    EXPECT_NE(r.output.find("importing '" + c.path + "'"), std::string::npos) << r.output;
    // Each layer's progress reaches the CLI while the job runs (every case has one layer).
    EXPECT_NE(r.output.find("layer 1/1 sha256:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(c.expectName), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(c.format), std::string::npos) << r.output;
  }

  auto listed = ctl({"image", "ls", "--json"});
  ASSERT_EQ(listed.status, 0) << listed.output;
  std::set<std::string> names;
  json parsed = json::parse(listed.output);  // the loop below must not iterate a temporary's member
  for (const auto& i : parsed["images"]) {
    if (i["name"].is_string()) names.insert(i["name"].get<std::string>());
    EXPECT_GT(i.value("size", 0), 0) << i.dump();
    EXPECT_TRUE(i["used_by"].empty()) << i.dump();
  }
  for (const auto& c : cases) EXPECT_TRUE(names.contains(c.expectName)) << c.expectName;
  auto table = ctl({"image", "ls"});
  EXPECT_NE(table.output.find("NAME"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("test/docker:1"), std::string::npos) << table.output;
}

TEST_F(ImageApiTest, RmThenPruneRemovesTheUnreferencedBlobs) {
  startAgent();
  tar({"-C", work_ / "root", "-cf", work_ / "rootfs.tar", "."});
  ASSERT_EQ(ctl({"image", "import", work_ / "rootfs.tar", "--name", "test/gone:1"}).status, 0);
  size_t before = countFiles(blobsDir());
  ASSERT_GE(before, 3u);  // layer, config, manifest

  auto removed = ctl({"image", "rm", "test/gone:1"});
  EXPECT_EQ(removed.status, 0) << removed.output;
  EXPECT_EQ(countFiles(blobsDir()), before) << "rm only drops the name";
  auto pruned = ctl({"image", "prune"});
  EXPECT_EQ(pruned.status, 0) << pruned.output;
  EXPECT_NE(pruned.output.find("3 blobs"), std::string::npos) << pruned.output;
  EXPECT_EQ(countFiles(blobsDir()), before - 3);
  EXPECT_EQ(ctl({"image", "ls", "--json"}).output.find("test/gone:1"), std::string::npos);

  auto missing = ctl({"image", "rm", "test/gone:1"});
  EXPECT_EQ(missing.status, 3) << missing.output;  // not found
}

// The deployment history is the supervisor's record of what a Space runs; one that serves an
// image makes that image "used". The record is written as the supervisor writes it, for a
// Space created through the API.
TEST_F(ImageApiTest, RmRefusesAnImageASpaceUses) {
  startAgent();
  ASSERT_EQ(agent_.call("POST", "/v1/spaces", R"({"id": "alice/demo", "sdk": "static"})").status,
            201);
  store::SpaceId id{"alice", "demo"};
  std::string name = supervisor::imageName(id, 1);
  tar({"-C", work_ / "root", "-cf", work_ / "rootfs.tar", "."});
  ASSERT_EQ(ctl({"image", "import", work_ / "rootfs.tar", "--name", name}).status, 0);
  supervisor::DeploymentHistory history;
  supervisor::Deployment& d = history.add({});
  d.outcome = supervisor::Outcome::kServing;
  d.buildSeq = d.seq;
  ASSERT_TRUE(history.save(supervisor::historyPath(agent_.stateDir(), id)));

  auto refused = ctl({"image", "rm", name});
  EXPECT_EQ(refused.status, 6) << refused.output;  // conflict
  EXPECT_NE(refused.output.find("used by Space 'alice/demo'"), std::string::npos) << refused.output;
  auto listed = json::parse(ctl({"image", "ls", "--json"}).output);
  bool shown = false;
  for (const auto& i : listed["images"]) {
    if (i["name"] == name) shown = i["used_by"] == json::array({"alice/demo"});
  }
  EXPECT_TRUE(shown) << listed.dump();
  // prune --all keeps it too.
  EXPECT_EQ(ctl({"image", "prune", "--all"}).status, 0);
  EXPECT_NE(ctl({"image", "ls"}).output.find(name), std::string::npos);
}

TEST_F(ImageApiTest, BadInputIsRefusedByNameAndTheAgentKeepsRunning) {
  startAgent();
  spit(work_ / "notes.txt", "this is not a tar archive at all\n");
  auto notTar = ctl({"image", "import", work_ / "notes.txt", "--name", "bad/one:1"});
  EXPECT_EQ(notTar.status, 1) << notTar.output;
  EXPECT_NE(notTar.output.find(work_ / "notes.txt"), std::string::npos) << notTar.output;
  EXPECT_TRUE(agentAnswers());

  spit(work_ / "evil.tar",
       image::testing::makeTar({{image::testing::TarEntry::kFile, "../escaped.txt", "gotcha"}}));
  auto evil = ctl({"image", "import", work_ / "evil.tar", "--name", "bad/two:1"});
  EXPECT_EQ(evil.status, 1) << evil.output;
  EXPECT_NE(evil.output.find("../escaped.txt"), std::string::npos) << evil.output;
  EXPECT_FALSE(fs::exists(agent_.stateDir() + "/images/escaped.txt"));
  EXPECT_FALSE(fs::exists(agent_.stateDir() + "/escaped.txt"));
  EXPECT_TRUE(agentAnswers());

  auto missing = ctl({"image", "import", work_ / "nothing-here.tar"});
  EXPECT_EQ(missing.status, 3) << missing.output;
  EXPECT_NE(missing.output.find("does not exist"), std::string::npos) << missing.output;
  auto noName = agent_.call("POST", "/v1/images/import", R"({"path": "relative.tar"})");
  EXPECT_EQ(noName.status, 400);
  EXPECT_NE(noName.errorMessage().find("absolute"), std::string::npos) << noName.body;
  auto unknown = agent_.call("POST", "/v1/images/bootstrap", R"({"base": "alpine"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.errorMessage().find("'alpine'"), std::string::npos) << unknown.body;
  EXPECT_EQ(ctl({"image", "ls", "--json"}).output.find("bad/"), std::string::npos);
}

// A store with no room: the import fails saying so and leaves no partial blob behind.
TEST_F(ImageApiTest, AnImportThatDoesNotFitFailsWithDiskFull) {
  fs::path images = fs::path(agent_.stateDir()) / "images";
  fs::create_directories(images);
  ASSERT_EQ(::mount("spacelet-test", images.c_str(), "tmpfs", 0, "size=4m"), 0)
      << "mount tmpfs: " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{images};
  startAgent();
  std::mt19937_64 random(7);
  std::string noise(6 << 20, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  spit(work_ / "root/big.bin", noise);  // incompressible, larger than the store
  tar({"-C", work_ / "root", "-cf", work_ / "big.tar", "."});

  auto full = ctl({"image", "import", work_ / "big.tar", "--name", "test/big:1"});
  EXPECT_NE(full.status, 0) << full.output;
  EXPECT_NE(full.output.find("disk full"), std::string::npos) << full.output;
  EXPECT_TRUE(agentAnswers());
  EXPECT_EQ(countFiles(images / "blobs/sha256"), 0u) << "a partial blob was left";
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(images)) left.push_back(e.path().filename());
  for (const auto& name : left) EXPECT_EQ(name.find(".import"), std::string::npos) << name;
}

TEST_F(ImageApiTest, BootstrapMakesTheBusyboxBase) {
  if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static is not installed";
  startAgent();
  auto made = ctl({"image", "bootstrap", "busybox"});
  ASSERT_EQ(made.status, 0) << made.output;
  EXPECT_NE(made.output.find("packing spacelet/busybox:latest"), std::string::npos) << made.output;
  auto listed = ctl({"image", "ls"});
  EXPECT_NE(listed.output.find("spacelet/busybox:latest"), std::string::npos) << listed.output;
  auto again = ctl({"image", "bootstrap", "busybox", "--json"});
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("\"result\""), std::string::npos) << again.output;
}

}  // namespace
}  // namespace spacelet::agent::testing
