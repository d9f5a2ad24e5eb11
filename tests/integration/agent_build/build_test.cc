// Real builds on a busybox base made by the test: multi-stage with COPY --from, --chown,
// WORKDIR, ENV, ARG, USER and .dockerignore, an all-cached rebuild, a rebuild after one app
// file changed, secrets kept out of layers, configs and logs, and malicious contexts refused.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "agent/build/recipes.h"
#include "build_fixture.h"

namespace spacelet::agent::build::testing {
namespace {
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = 0; (pos = haystack.find(needle, pos)) != std::string::npos;
       pos += needle.size())
    ++n;
  return n;
}

const char* kMultiStage = R"(ARG BASE=busybox-test
FROM ${BASE} AS builder
ARG VERSION=1
ENV GREETING="hello from builder"
WORKDIR /src
COPY app/ ./
RUN echo "$GREETING v$VERSION" > /src/built.txt && wc -c < /src/main.py > /src/size.txt
FROM ${BASE}
ENV HOME=/home/user
WORKDIR /app
COPY --from=builder --chown=1000:1000 /src/built.txt /src/size.txt ./
COPY --chown=user app/main.py app/
RUN touch /app/from-root && id -u > /app/uid-before-user
USER user
RUN id -u > /home/user/uid.txt && echo "$HOME" > /home/user/home.txt
EXPOSE 7860
CMD ["sh", "-c", "cat /app/built.txt"]
)";

class BuilderTest : public BuildFixture {};

TEST_F(BuilderTest, MultiStageWithChownWorkdirEnvArgUserAndDockerignore) {
  writeContext({{"app/main.py", "print('hi')\n"},
                {"app/secret.env", "TOKEN=should-not-be-copied\n"},
                {".dockerignore", "app/*.env\n"}});
  BuildOptions options;
  options.buildArgs = {{"VERSION", "7"}};
  auto result = runBuild(kMultiStage, options);
  ASSERT_TRUE(result) << result.error().message << "\n" << log_;
  EXPECT_NE(log_.find("Step 1/16 : FROM ${BASE} AS builder"), std::string::npos) << log_;
  EXPECT_NE(log_.find("Successfully built sha256:"), std::string::npos);

  const auto& config = result->image.config.config;
  EXPECT_EQ(config.user, "user");
  EXPECT_EQ(config.workingDir, "/app");
  EXPECT_EQ(config.cmd, (std::vector<std::string>{"sh", "-c", "cat /app/built.txt"}));
  EXPECT_TRUE(config.exposedPorts.contains("7860/tcp"));
  EXPECT_EQ(image::envLookup(config.env, "HOME"), "/home/user");
  EXPECT_FALSE(image::envLookup(config.env, "GREETING"));  // the builder stage's ENV stays there

  std::string root = unpackImage(result->image);
  EXPECT_EQ(slurp(root + "/app/built.txt"), "hello from builder v7\n");
  EXPECT_EQ(slurp(root + "/app/size.txt"), "12\n");
  EXPECT_EQ(slurp(root + "/app/app/main.py"), "print('hi')\n");
  EXPECT_FALSE(fs::exists(root + "/app/app/secret.env"));
  EXPECT_EQ(slurp(root + "/app/uid-before-user"), "0\n");
  EXPECT_EQ(slurp(root + "/home/user/uid.txt"), "1000\n");
  EXPECT_EQ(slurp(root + "/home/user/home.txt"), "/home/user\n");
  struct stat st {};
  ASSERT_EQ(::stat((root + "/app/built.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
  ASSERT_EQ(::stat((root + "/app/app/main.py").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);  // --chown=user resolved through the image's /etc/passwd
  ASSERT_EQ(::stat((root + "/app/from-root").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);  // written by root in the build's user namespace, stored as 0
  EXPECT_FALSE(fs::exists(root + "/proc/self"));
}

TEST_F(BuilderTest, SecondIdenticalBuildIsAllCacheHitsAndOneChangedFileRerunsOnlyLaterSteps) {
  writeContext({{"app/main.py", "v1\n"}, {"requirements.txt", "numpy\n"}});
  const char* dockerfile = R"(FROM busybox-test
COPY requirements.txt /app/
RUN cat /app/requirements.txt > /app/installed.txt
COPY app/ /app/
RUN cat /app/main.py > /app/compiled.txt
)";
  auto first = runBuild(dockerfile);
  ASSERT_TRUE(first) << first.error().message << "\n" << log_;
  EXPECT_EQ(first->cacheHits, 0);

  auto second = runBuild(dockerfile);
  ASSERT_TRUE(second) << second.error().message << "\n" << log_;
  EXPECT_EQ(second->cacheHits, 4) << log_;
  EXPECT_EQ(count(log_, "Using cache"), 4u) << log_;
  EXPECT_EQ(second->image.manifestBlob.digest, first->image.manifestBlob.digest);

  writeContext({{"app/main.py", "v2\n"}});
  auto third = runBuild(dockerfile);
  ASSERT_TRUE(third) << third.error().message << "\n" << log_;
  EXPECT_EQ(third->cacheHits, 2) << log_;  // the requirements layer and its RUN
  EXPECT_EQ(third->image.manifest.layers[1].digest, first->image.manifest.layers[1].digest);
  EXPECT_NE(third->image.manifest.layers[4].digest, first->image.manifest.layers[4].digest);
  EXPECT_EQ(slurp(unpackImage(third->image) + "/app/compiled.txt"), "v2\n");

  BuildOptions factory;
  factory.noCache = true;
  auto fourth = runBuild(dockerfile, factory);
  ASSERT_TRUE(fourth) << fourth.error().message;
  EXPECT_EQ(fourth->cacheHits, 0);
}

TEST_F(BuilderTest, HeredocsAndShellForms) {
  const char* dockerfile =
      "FROM busybox-test\n"
      "RUN <<EOF\n"
      "echo line one > /one\n"
      "echo line two >> /one\n"
      "EOF\n"
      "RUN cat <<A > /two\n"
      "from heredoc\n"
      "A\n"
      "ARG NAME=spacelet\n"
      "COPY <<EOF /etc/app.conf\n"
      "name=${NAME}\n"
      "EOF\n"
      "RUN [\"/bin/sh\", \"-c\", \"echo exec > /three\"]\n";
  auto result = runBuild(dockerfile);
  ASSERT_TRUE(result) << result.error().message << "\n" << log_;
  std::string root = unpackImage(result->image);
  EXPECT_EQ(slurp(root + "/one"), "line one\nline two\n");
  EXPECT_EQ(slurp(root + "/two"), "from heredoc\n");
  EXPECT_EQ(slurp(root + "/etc/app.conf"), "name=spacelet\n");
  EXPECT_EQ(slurp(root + "/three"), "exec\n");
}

TEST_F(BuilderTest, FailingRunNamesTheLine) {
  auto result = runBuild("FROM busybox-test\nRUN true\nRUN echo about to fail && exit 3\n");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("Dockerfile line 3: RUN"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("non-zero code: 3"), std::string::npos)
      << result.error().message;
  EXPECT_NE(log_.find("about to fail"), std::string::npos) << log_;
}

// A step's changes are held to the store's layer limit (builds.max_layer_bytes) when they
// are packed, so that no build makes a layer the store would refuse to unpack.
TEST_F(BuilderTest, StepLayerOverTheLimitFailsNamingTheLine) {
  image::StoreOptions options{*dir_ / "store", 0, {}};
  // Above the base layer (busybox and the probe, about 10 MiB; more with sanitizers).
  options.unpack.limits.maxLayerBytes = 128 << 20;
  store_.reset();
  auto store = image::ImageStore::open(options);
  ASSERT_TRUE(store) << store.error().message;
  store_.emplace(std::move(*store));
  auto fits = runBuild("FROM busybox-test\nRUN dd if=/dev/zero of=/fits bs=1M count=8\n");
  ASSERT_TRUE(fits) << fits.error().message << "\n" << log_;
  auto big = runBuild("FROM busybox-test\nRUN dd if=/dev/zero of=/big bs=1M count=130\n");
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("Dockerfile line 2: RUN: pack layer: the layer grows past "
                                     "134217728 bytes at 'big' (builds.max_layer_bytes)"),
            std::string::npos)
      << big.error().message;
}

TEST_F(BuilderTest, RunHasNoNetwork) {
  auto result = runBuild(
      "FROM busybox-test\nRUN ip -o link | grep -v ' lo:' | wc -l > /links && "
      "cat /links\n");
  ASSERT_TRUE(result) << result.error().message << "\n" << log_;
  EXPECT_EQ(slurp(unpackImage(result->image) + "/links"), "0\n");
}

TEST_F(BuilderTest, SecretIsInNoLayerNoConfigAndNoLog) {
  const std::string secret = "hf_s3cr3t_VALUE_42";
  BuildOptions options;
  options.secrets = {{"HF_TOKEN", secret}};
  options.buildArgs = {{"VISIBLE", "yes"}};
  auto result = runBuild(
      "FROM busybox-test\nARG VISIBLE\n"
      "RUN --mount=type=secret,id=HF_TOKEN cat /run/secrets/HF_TOKEN && "
      "wc -c < /run/secrets/HF_TOKEN > /secret-length\n"
      "RUN ls /run/secrets 2>&1 || true\n",
      options);
  ASSERT_TRUE(result) << result.error().message << "\n" << log_;
  EXPECT_EQ(log_.find(secret), std::string::npos) << log_;
  EXPECT_NE(log_.find("****"), std::string::npos)
      << "the secret was printed, and redacted: " << log_;
  std::string root = unpackImage(result->image);
  EXPECT_EQ(slurp(root + "/secret-length"), std::to_string(secret.size()) + "\n");
  EXPECT_FALSE(fs::exists(root + "/run/secrets/HF_TOKEN"));
  // Grep every blob of the store: layers (decompressed by unpacking above is not enough,
  // so each layer blob is also decompressed with zcat), configs and manifests.
  for (const auto& entry : fs::directory_iterator(*dir_ / "store/blobs/sha256")) {
    std::string raw = slurp(entry.path());
    EXPECT_EQ(raw.find(secret), std::string::npos) << entry.path();
    auto plain =
        spacelet::testing::runCommand({"sh", "-c", "zcat -f '" + entry.path().string() + "'"});
    EXPECT_EQ(plain.output.find(secret), std::string::npos) << entry.path();
  }
  EXPECT_EQ(toJson(result->image.config).find(secret), std::string::npos);
  auto missing =
      runBuild("FROM busybox-test\nRUN --mount=type=secret,id=NOPE cat /run/secrets/NOPE\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("secret 'NOPE' is not set"), std::string::npos);
}

TEST_F(BuilderTest, MaliciousContextIsRefused) {
  writeContext({{"app/ok.txt", "ok"}});
  fs::create_symlink("/etc/passwd", context_ + "/passwd-link");
  fs::create_symlink("../../..", context_ + "/app/up");
  auto link = runBuild("FROM busybox-test\nCOPY passwd-link /x\n");
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().message.find("points outside the build context"), std::string::npos)
      << link.error().message;
  auto through = runBuild("FROM busybox-test\nCOPY app/up/etc/shadow /x\n");
  ASSERT_FALSE(through);
  EXPECT_NE(through.error().message.find("symlink 'app/up'"), std::string::npos)
      << through.error().message;
  auto dotdot = runBuild("FROM busybox-test\nCOPY ../ /x/\n");
  ASSERT_FALSE(dotdot);
  EXPECT_NE(dotdot.error().message.find("outside the build context"), std::string::npos);
  EXPECT_NE(dotdot.error().message.find("line 2: COPY"), std::string::npos)
      << dotdot.error().message;
  auto url = runBuild("FROM busybox-test\nADD https://example.com/x.tar /x/\n");
  ASSERT_FALSE(url);
  EXPECT_NE(url.error().message.find("line 2: ADD: remote source 'https://example.com/x.tar' "
                                     "is refused: spacelet does not fetch URLs for ADD; download "
                                     "it in a RUN step"),
            std::string::npos)
      << url.error().message;
  // A symlink inside a copied directory that climbs out is refused by name...
  auto nested = runBuild("FROM busybox-test\nCOPY app/ /app/\n");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("symlink 'app/up' -> '../../..' points outside"),
            std::string::npos)
      << nested.error().message;
  // ...and one that stays inside is copied as a link, never followed.
  fs::remove(context_ + "/app/up");
  fs::create_symlink("ok.txt", context_ + "/app/link");
  auto dir = runBuild("FROM busybox-test\nCOPY app/ /app/\n");
  ASSERT_TRUE(dir) << dir.error().message;
  std::string root = unpackImage(dir->image);
  EXPECT_EQ(fs::read_symlink(root + "/app/link"), "ok.txt");
  EXPECT_EQ(slurp(root + "/app/ok.txt"), "ok");
}

TEST_F(BuilderTest, StaticRecipeBuildsAndNamedContextsMountReadOnly) {
  writeContext({{"index.html", "<h1>hello</h1>\n"}, {"build.sh", "echo built > /app/built.txt\n"}});
  RecipeInputs in{"static", "", "index.html", 7860, "sh build.sh", false, false, false};
  RecipeSettings recipe;
  recipe.staticBase = "busybox-test";
  auto dockerfile = recipeDockerfile(in, recipe);
  ASSERT_TRUE(dockerfile) << dockerfile.error().message;
  auto result = runBuild(*dockerfile);
  ASSERT_TRUE(result) << result.error().message << "\n" << log_;
  const auto& c = result->image.config.config;
  EXPECT_EQ(c.user, "1000");
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"sh", "-c",
                                             "httpd -f -v -p 7860 -h /app & trap 'kill $!; wait "
                                             "$!; exit 0' TERM INT; wait $!"}));
  std::string root = unpackImage(result->image);
  EXPECT_EQ(slurp(root + "/app/index.html"), "<h1>hello</h1>\n");
  EXPECT_EQ(slurp(root + "/app/built.txt"), "built\n");
  EXPECT_EQ(fs::read_symlink(root + "/home/user/app"), "/app");
  struct stat st {};
  ASSERT_EQ(::stat((root + "/app/index.html").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);

  fs::create_directories(*dir_ / "wheels");
  std::ofstream(*dir_ / "wheels/demo-1.0-py3-none-any.whl") << "wheel";
  BuildOptions options;
  options.namedContexts = {{"wheelhouse", *dir_ / "wheels"}};
  auto mounted = runBuild(
      "FROM busybox-test\n"
      "RUN --mount=type=bind,from=wheelhouse,target=/wheelhouse "
      "ls /wheelhouse > /listing && (touch /wheelhouse/x 2>/dev/null && echo rw || echo ro) >> "
      "/listing\n",
      options);
  ASSERT_TRUE(mounted) << mounted.error().message << "\n" << log_;
  std::string mroot = unpackImage(mounted->image);
  EXPECT_EQ(slurp(mroot + "/listing"), "demo-1.0-py3-none-any.whl\nro\n");
  EXPECT_FALSE(fs::exists(mroot + "/wheelhouse"));  // the mount point is not left in the layer
}

}  // namespace
}  // namespace spacelet::agent::build::testing
