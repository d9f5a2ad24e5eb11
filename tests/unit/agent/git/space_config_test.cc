// Golden tests of README front matter parsing: each golden/<case>.md is parsed and the result
// (the config as JSON, or the error) compared with golden/<case>.out. Set
// SPACELET_UPDATE_GOLDEN=1 to rewrite the .out files after a deliberate change, then review the
// diff.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/git/space_config.h"

namespace spacelet::agent::git {
namespace {

namespace fs = std::filesystem;

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json toJson(const SpaceConfig& c) {
  return {{"title", c.title},
          {"emoji", c.emoji},
          {"colorFrom", c.colorFrom},
          {"colorTo", c.colorTo},
          {"sdk", c.sdk},
          {"sdk_version", c.sdkVersion},
          {"python_version", c.pythonVersion},
          {"app_file", c.appFile},
          {"app_port", c.appPort},
          {"base_path", c.basePath},
          {"startup_duration_timeout_s", c.startupDurationTimeout.count()},
          {"custom_headers", c.customHeaders},
          {"suggested_hardware", c.suggestedHardware},
          {"suggested_storage", c.suggestedStorage},
          {"short_description", c.shortDescription},
          {"license", c.license},
          {"thumbnail", c.thumbnail},
          {"header", c.header},
          {"app_build_command", c.appBuildCommand},
          {"pinned", c.pinned},
          {"disable_embedding", c.disableEmbedding},
          {"fullWidth", c.fullWidth},
          {"tags", c.tags},
          {"models", c.models},
          {"datasets", c.datasets},
          {"preload_from_hub", c.preloadFromHub},
          {"ignored_keys", c.ignoredKeys}};
}

// Cases that exercise the SDK the Space was created with.
const std::map<std::string, std::string> kFallbackSdk = {
    {"empty_front_matter", "docker"},
};

std::string render(const std::string& name, const std::string& readme) {
  auto fallback = kFallbackSdk.count(name) ? kFallbackSdk.at(name) : "";
  auto config = parseReadme(readme, fallback);
  if (!config) return "error: " + config.error().message + "\n";
  return toJson(*config).dump(2) + "\n";
}

TEST(SpaceConfigGolden, EveryCaseMatches) {
  fs::path dir = fs::path(SPACELET_SOURCE_DIR) / "tests/unit/agent/git/golden";
  bool update = std::getenv("SPACELET_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".md") continue;
    ++cases;
    std::string name = entry.path().stem();
    std::string got = render(name, readText(entry.path()));
    fs::path expected = entry.path();
    expected.replace_extension(".out");
    if (update) std::ofstream(expected, std::ios::binary) << got;
    EXPECT_EQ(readText(expected), got) << "golden case '" << name << "'";
  }
  EXPECT_GE(cases, 20);
}

TEST(SpaceConfig, ErrorsNameTheLineAndKey) {
  auto config = parseReadme(std::string("---\nsdk: docker\n\napp_port: [1]\n---\n"), "");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("README.md line 4, key 'app_port'"), std::string::npos)
      << config.error().message;
}

TEST(SpaceConfig, UnknownSdkListsTheValidOnes) {
  auto config = parseReadme(std::string("---\nsdk: rails\n---\n"), "");
  ASSERT_FALSE(config);
  for (const char* sdk : {"gradio", "streamlit", "docker", "static", "'rails'"}) {
    EXPECT_NE(config.error().message.find(sdk), std::string::npos) << config.error().message;
  }
}

TEST(SpaceConfig, CreatedSdkAppliesWithoutReadme) {
  auto config = parseReadme(std::nullopt, "static");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->sdk, "static");
  EXPECT_EQ(config->appFile, "index.html");
  EXPECT_EQ(config->appPort, 7860);
  EXPECT_EQ(config->pythonVersion, "3.10");
  EXPECT_EQ(config->startupDurationTimeout, std::chrono::minutes(30));
  EXPECT_FALSE(parseReadme(std::nullopt, ""));
}

TEST(SpaceConfig, ReadmeSdkWinsOverCreatedSdk) {
  auto config = parseReadme(std::string("---\nsdk: gradio\n---\n"), "static");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->sdk, "gradio");
  EXPECT_EQ(config->appFile, "app.py");
}

TEST(SpaceConfig, MissingAppFile) {
  std::set<std::string> files = {"README.md", "index.html", "Dockerfile"};
  auto exists = [&](const std::string& p) { return files.count(p) > 0; };
  SpaceConfig gradio;
  gradio.sdk = "gradio";
  gradio.appFile = "app.py";
  auto missing = missingAppFile(gradio, exists);
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("'app.py'"), std::string::npos);
  files.insert("app.py");
  EXPECT_FALSE(missingAppFile(gradio, exists));

  SpaceConfig docker;
  docker.sdk = "docker";
  EXPECT_FALSE(missingAppFile(docker, exists));
  files.erase("Dockerfile");
  ASSERT_TRUE(missingAppFile(docker, exists));
  EXPECT_NE(missingAppFile(docker, exists)->find("Dockerfile"), std::string::npos);

  SpaceConfig built;
  built.sdk = "static";
  built.appFile = "dist/index.html";
  EXPECT_TRUE(missingAppFile(built, exists));
  built.appBuildCommand = "npm run build";
  EXPECT_FALSE(missingAppFile(built, exists));
}

TEST(FrontMatter, ExtractsBetweenDelimiters) {
  auto fm = extractFrontMatter("---\na: 1\n...\nbody\n---\n");
  ASSERT_TRUE(fm);
  ASSERT_TRUE(*fm);
  EXPECT_EQ((*fm)->yaml, "a: 1\n");
  EXPECT_EQ((*fm)->firstLine, 2);
  auto none = extractFrontMatter("# title\n---\n");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_FALSE(extractFrontMatter("---\na: 1\n"));
}

}  // namespace
}  // namespace spacelet::agent::git
