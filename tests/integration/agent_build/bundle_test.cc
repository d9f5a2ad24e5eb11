// A Space bundle made from a busybox image really runs: the probe inside reports uid 1000,
// HOME=/home/user, the SPACE_* environment, no capabilities, no_new_privs, a user namespace
// mapped to the Space's range, a read-only root with writable /app, /home/user and /tmp,
// and files under /app owned by the app's user through the idmapped layers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/bundle/bundle.h"
#include "build_fixture.h"

namespace spacelet::agent::build::testing {
namespace {
namespace fs = std::filesystem;

class BundleTest : public BuildFixture {
 protected:
  // Runs the bundle with `args` as the process and returns the probe's JSON.
  nlohmann::json runProbe(const bundle::Bundle& b, const std::vector<std::string>& args) {
    nlohmann::json config = b.config;
    config["process"]["args"] = args;
    std::ofstream(b.dir + "/config.json") << config.dump();
    std::string id = "spacelet-bundle-test-" + std::to_string(++runs_);
    auto r = spacelet::testing::runCommand(
        {buildRuntime(), "--root", *dir_ / "runtime-state", "run", "--bundle", b.dir, id});
    EXPECT_EQ(r.status, 0) << r.output;
    auto start = r.output.find('{');
    if (start == std::string::npos) return nullptr;
    return nlohmann::json::parse(r.output.substr(start), nullptr, false);
  }
  int runs_ = 0;
};

TEST_F(BundleTest, SpaceRunsAsUser1000WithTheSecurityDefaults) {
  writeContext({{"app.py", "print('hi')\n"}});
  auto built = runBuild(
      "FROM busybox-test\nCOPY --chown=1000:1000 app.py /app/\nCMD [\"/bin/spacelet-probe\", "
      "\"report\"]\n");
  ASSERT_TRUE(built) << built.error().message << log_;
  bundle::BundleRequest request;
  request.image = built->image;
  request.space = {"alice/demo", "Demo",         "alice-demo.local", 7860,
                   "docker",     {{"VAR", "v"}}, {{"TOKEN", "s3"}}};
  request.flavor = {"cpu-basic", 2, int64_t{1} << 30, 512, ""};
  request.settings.ids = {300000, 65536};
  request.settings.tmpBytes = 8 << 20;
  request.settings.cgroupsPath = settings_.cgroupParent + "/spacelet-bundle-test";
  request.settings.hostname = "alice-demo";
  request.dir = *dir_ / "bundle";
  request.resolvConf = "nameserver 10.53.0.1\n";
  auto b = bundle::makeBundle(*store_, request);
  ASSERT_TRUE(b) << b.error().message;

  auto report = runProbe(*b, {"/bin/spacelet-probe", "report"});
  ASSERT_TRUE(report.is_object()) << report;
  EXPECT_EQ(report["uid"], 1000);
  EXPECT_EQ(report["gid"], 1000);
  EXPECT_EQ(report["no_new_privs"], 1);
  EXPECT_EQ(report["env"]["HOME"], "/home/user");
  EXPECT_EQ(report["env"]["SPACE_ID"], "alice/demo");
  EXPECT_EQ(report["env"]["SYSTEM"], "spaces");
  EXPECT_EQ(report["env"]["MEMORY"], "1Gi");
  EXPECT_EQ(report["env"]["TOKEN"], "s3");
  EXPECT_EQ(report["status"]["CapEff"], "0000000000000000");
  EXPECT_EQ(report["status"]["CapBnd"], "0000000000000000");
  EXPECT_NE(report["uid_map"].get<std::string>().find("300000"), std::string::npos)
      << report["uid_map"];
  EXPECT_EQ(report["hostname"], "alice-demo");

  EXPECT_TRUE(runProbe(*b, {"/bin/spacelet-probe", "write", "/app/new.txt", "x"})["ok"]);
  EXPECT_TRUE(runProbe(*b, {"/bin/spacelet-probe", "write", "/app/app.py", "changed"})["ok"]);
  EXPECT_TRUE(runProbe(*b, {"/bin/spacelet-probe", "write", "/home/user/.cache", "x"})["ok"]);
  EXPECT_TRUE(runProbe(*b, {"/bin/spacelet-probe", "write", "/tmp/x", "x"})["ok"]);
  auto etc = runProbe(*b, {"/bin/spacelet-probe", "write", "/etc/evil", "x"});
  EXPECT_FALSE(etc["ok"]) << etc;
  EXPECT_EQ(etc["errno"], EROFS) << etc;
  // The Space's resolv.conf (the image has none): the node's resolver, read-only.
  auto resolv = runProbe(*b, {"/bin/spacelet-probe", "read", "/etc/resolv.conf"});
  EXPECT_EQ(resolv["data"], "nameserver 10.53.0.1\n") << resolv;
  auto resolvWrite = runProbe(*b, {"/bin/spacelet-probe", "write", "/etc/resolv.conf", "x"});
  EXPECT_EQ(resolvWrite["errno"], EROFS) << resolvWrite;
  auto stat = runProbe(*b, {"/bin/spacelet-probe", "stat", "/bin/busybox"});
  EXPECT_EQ(stat["uid"], 0) << stat;  // the shared layer's root-owned files stay root's

  // The app's changes land in the deployment's upper dir, owned by the Space's range, and
  // the shared layer is untouched.
  struct stat st {};
  ASSERT_EQ(::stat((b->dir + "/upper/app/new.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 301000u);
  for (const auto& layer : built->image.manifest.layers) {
    auto dir = store_->unpackedLayer(layer);
    EXPECT_FALSE(fs::exists(*dir + "/app/new.txt"));
  }
  ASSERT_TRUE(bundle::removeBundle(b->dir));
  EXPECT_FALSE(fs::exists(b->dir));
  for (const auto& layer : built->image.manifest.layers)
    EXPECT_TRUE(fs::exists(*store_->unpackedLayer(layer)));
}

}  // namespace
}  // namespace spacelet::agent::build::testing
