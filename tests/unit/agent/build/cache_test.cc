// Unit tests of the pure parts of the builder: stages and ARG scoping, config-only
// instructions, cache keys and records, .dockerignore, user lookup, the build container's
// spec, and the pre-build disk check over a temp store.
#include <gtest/gtest.h>

#include "agent/build/build_cache.h"
#include "agent/build/builder.h"
#include "agent/build/dockerignore.h"
#include "agent/build/run_container.h"
#include "agent/build/stage.h"
#include "agent/build/store_maintenance.h"
#include "agent/build/user_lookup.h"
#include "test_env.h"

namespace spacelet::agent::build {
namespace {

TEST(CacheKey, ChainsAndSeparatesParts) {
  EXPECT_NE(chainKey("p", {"ab", "c"}), chainKey("p", {"a", "bc"}));
  EXPECT_NE(chainKey("p", {"x"}), chainKey("q", {"x"}));
  EXPECT_EQ(chainKey("p", {"x"}), chainKey("p", {"x"}));
  EXPECT_EQ(chainKey("p", {"x"}).size(), 64u);
}

TEST(BuildCache, StoreLookupListRemove) {
  spacelet::testing::TempDir dir;
  BuildCache cache(dir.path() + "/cache");
  ASSERT_TRUE(cache.init());
  std::string key = chainKey("", {"RUN x"});
  EXPECT_FALSE(cache.lookup(key));
  CacheEntry entry{{image::kMediaTypeLayerGzip, image::sha256Of("blob"), 4, {}},
                   image::sha256Of("tar")};
  ASSERT_TRUE(cache.store(key, entry));
  auto hit = cache.lookup(key);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->layer.digest, entry.layer.digest);
  EXPECT_EQ(hit->diffId, entry.diffId);
  auto list = cache.list();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].layer, entry.layer.digest);
  ASSERT_TRUE(cache.remove(key));
  EXPECT_FALSE(cache.lookup(key));
}

TEST(Stages, TargetAndDependencies) {
  auto df = parseDockerfile(
      "ARG BASE=busybox\nFROM $BASE AS deps\nRUN a\nFROM scratch AS unused\nRUN b\n"
      "FROM deps AS app\nCOPY --from=deps /x /x\nFROM busybox AS final\nCOPY --from=app /y /y\n");
  ASSERT_TRUE(df);
  auto plan = planStages(*df, {}, "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->stages[0].base, "busybox");
  EXPECT_EQ(plan->target, 3u);
  EXPECT_EQ(plan->needed, (std::vector<size_t>{0, 2, 3}));  // 'unused' is skipped
  auto onlyDeps = planStages(*df, {{"BASE", "alpine"}}, "deps");
  EXPECT_EQ(onlyDeps->stages[0].base, "alpine");
  EXPECT_EQ(onlyDeps->needed, (std::vector<size_t>{0}));
  auto missing = planStages(*df, {}, "nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("target stage 'nope'"), std::string::npos);
}

TEST(Stages, ConfigInstructions) {
  auto df = parseDockerfile(
      "FROM x\nARG V=1\nENV A=$V B=\"two words\"\nENV C ${A}-legacy\nLABEL l=\"$B\"\nUSER app:app\n"
      "EXPOSE 80 53/udp\nWORKDIR /srv\nWORKDIR sub\nSHELL [\"/bin/bash\", \"-c\"]\nCMD echo hi\n"
      "ENTRYPOINT [\"/entry\"]\nVOLUME /data\nSTOPSIGNAL SIGTERM\n"
      "HEALTHCHECK --interval=5s --retries=2 CMD curl -f http://localhost/\n");
  ASSERT_TRUE(df);
  StageState state;
  for (size_t i = 1; i < df->instructions.size(); ++i) {
    auto r = applyConfigInstruction(df->instructions[i], '\\', {{"V", "7"}}, state);
    ASSERT_TRUE(r) << r.error().message;
  }
  const auto& c = state.config.config;
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=7", "B=two words", "C=7-legacy"}));
  EXPECT_EQ(c.labels.at("l"), "two words");
  EXPECT_EQ(c.user, "app:app");
  EXPECT_TRUE(c.exposedPorts.contains("80/tcp"));
  EXPECT_TRUE(c.exposedPorts.contains("53/udp"));
  EXPECT_EQ(c.workingDir, "/srv/sub");
  EXPECT_TRUE(c.cmd.empty());  // ENTRYPOINT after CMD resets it, as Docker does
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/entry"}));
  EXPECT_TRUE(c.volumes.contains("/data"));
  EXPECT_EQ(c.stopSignal, "SIGTERM");
  EXPECT_NE(c.healthcheck->find("\"Retries\":2"), std::string::npos) << *c.healthcheck;
  EXPECT_NE(c.healthcheck->find("CMD-SHELL"), std::string::npos);
  auto env = runEnvironment(state);
  EXPECT_NE(std::find(env.begin(), env.end(), "V=7"), env.end());
  auto bad = parseDockerfile("FROM x\nEXPOSE eighty\n");
  StageState s2;
  auto r = applyConfigInstruction(bad->instructions[1], '\\', {}, s2);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("line 2: EXPOSE: 'eighty' is not a port"), std::string::npos);
}

TEST(DockerIgnore, PatternsExceptionsAndDirectories) {
  auto ignore =
      DockerIgnore::parse("# comment\n*.md\n!README.md\nnode_modules\n**/*.pyc\n/build/\ntemp?\n");
  ASSERT_TRUE(ignore);
  EXPECT_TRUE(ignore->excluded("notes.md"));
  EXPECT_FALSE(ignore->excluded("README.md"));
  EXPECT_FALSE(ignore->excluded("docs/notes.md"));  // '*' does not cross '/'
  EXPECT_TRUE(ignore->excluded("node_modules/x/y.js"));
  EXPECT_TRUE(ignore->excluded("a/b/c.pyc"));
  EXPECT_TRUE(ignore->excluded("build/out"));
  EXPECT_TRUE(ignore->excluded("temp1"));
  EXPECT_FALSE(ignore->excluded("app.py"));
  EXPECT_FALSE(DockerIgnore::parse("[unclosed\n"));
}

TEST(UserLookup, NamesNumbersAndErrors) {
  std::string passwd = "root:x:0:0::/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n";
  std::string group = "root:x:0:\nusers:x:100:\n";
  EXPECT_EQ(resolveUser("user", passwd, group)->uid, 1000u);
  EXPECT_EQ(resolveUser("user", passwd, group)->gid, 1000u);
  EXPECT_EQ(resolveUser("user:users", passwd, group)->gid, 100u);
  EXPECT_EQ(resolveUser("42:7", passwd, group)->gid, 7u);
  EXPECT_EQ(resolveUser("42", passwd, group)->gid, 0u);
  auto missing = resolveUser("nobody", passwd, group);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("'nobody'"), std::string::npos);
  EXPECT_FALSE(resolveUser("user:nogroup", passwd, group));
}

TEST(BuildContainer, IsolatedAndLimited) {
  RunSpec spec;
  spec.args = {"/bin/sh", "-c", "true"};
  spec.ids = {100000, 65536};
  spec.limits.memoryBytes = 1 << 30;
  spec.cgroupsPath = "/x/build";
  spec.binds = {{"/host/secret", "/run/secrets/t", true}};
  auto c = buildContainerConfig(spec);
  std::vector<std::string> ns;
  for (const auto& n : c["linux"]["namespaces"]) ns.push_back(n["type"]);
  EXPECT_NE(std::find(ns.begin(), ns.end(), "network"), ns.end());
  EXPECT_NE(std::find(ns.begin(), ns.end(), "user"), ns.end());
  EXPECT_EQ(c["linux"]["uidMappings"][0]["hostID"], 100000);
  EXPECT_EQ(c["linux"]["resources"]["memory"]["limit"], 1 << 30);
  EXPECT_TRUE(c["linux"].contains("seccomp"));
  EXPECT_EQ(c["mounts"].back()["destination"], "/run/secrets/t");
  EXPECT_NE(c["mounts"].back()["options"].dump().find("\"ro\""), std::string::npos);
}

// Without a network the step gets a fresh namespace; with one it joins the build's.
TEST(BuildContainer, JoinsTheBuildNetworkWhenGivenOne) {
  auto networkOf = [](const nlohmann::json& config) {
    for (const auto& n : config["linux"]["namespaces"]) {
      if (n["type"] == "network") return n;
    }
    return nlohmann::json();
  };
  RunSpec spec;
  spec.args = {"/bin/true"};
  EXPECT_EQ(networkOf(buildContainerConfig(spec)), nlohmann::json({{"type", "network"}}));
  spec.netnsPath = "/run/spacelet/netns/sp-abc";
  EXPECT_EQ(networkOf(buildContainerConfig(spec)),
            nlohmann::json({{"type", "network"}, {"path", "/run/spacelet/netns/sp-abc"}}));
}

// The pre-build check on the real filesystem of a temp store: a high mark below what the
// filesystem already uses cannot be met by pruning (the store holds nothing), so the build
// is refused as "disk full"; a mark at 100% leaves room.
TEST(MakeRoomForBuild, RefusesABuildAboveTheHighMarkAfterPruning) {
  spacelet::testing::TempDir dir;
  auto store = image::ImageStore::open({dir.path() + "/images", 0, {}});
  ASSERT_TRUE(store) << store.error().message;
  BuildCache cache(dir.path() + "/cache");
  ASSERT_TRUE(cache.init());
  auto usage = image::diskUsage(dir.path());
  ASSERT_TRUE(usage);
  double used =
      1.0 - static_cast<double>(usage->availableBytes) / static_cast<double>(usage->totalBytes);
  ASSERT_GT(used, 0.0);
  auto refused = makeRoomForBuild(*store, cache, {}, {used / 2, used / 4});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ENOSPC);
  EXPECT_NE(refused.error().message.find("disk full: the image store's filesystem is"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("(builds.disk_high_watermark)"), std::string::npos);
  auto room = makeRoomForBuild(*store, cache, {}, {1.0, 0.99});
  ASSERT_TRUE(room) << room.error().message;
  EXPECT_EQ(room->imagesRemoved + room->cacheRecordsRemoved, 0);
}

TEST(OwnCgroup, PrefersMemoryOnHybridAndTheUnifiedPathOnV2) {
  EXPECT_EQ(ownCgroup("12:memory:/process_api/7\n0::/\n"), "/process_api/7");
  EXPECT_EQ(ownCgroup("0::/system.slice/spaceletd.service\n"), "/system.slice/spaceletd.service");
  EXPECT_EQ(ownCgroup("0::/\n"), "");
}

}  // namespace
}  // namespace spacelet::agent::build
