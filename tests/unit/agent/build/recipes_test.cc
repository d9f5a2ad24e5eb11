// Golden tests of the SDK recipes: the Dockerfile a node runs for each SDK, with PyPI and
// with a local wheelhouse. Each golden Dockerfile must also parse. Regenerate after an
// intended change with SPACELET_UPDATE_GOLDEN=1 and review the diff.
#include "agent/build/recipes.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "agent/build/dockerfile.h"
#include "test_env.h"

namespace spacelet::agent::build {
namespace {

void expectGolden(const std::string& name, const std::string& actual) {
  std::string path =
      spacelet::testing::sourceDir() + "/tests/unit/agent/build/golden/recipes/" + name;
  if (std::getenv("SPACELET_UPDATE_GOLDEN")) std::ofstream(path) << actual;
  std::ifstream in(path);
  EXPECT_EQ(actual, std::string(std::istreambuf_iterator<char>(in), {})) << name;
  auto parsed = parseDockerfile(actual);
  EXPECT_TRUE(parsed) << name << ": " << (parsed ? "" : parsed.error().message);
}

TEST(Recipes, GradioWithPyPIAndEveryRequirementsFile) {
  RecipeInputs in{"gradio", "4.44.0", "app.py", 7860, "", true, true, true};
  RecipeSettings s;
  s.pipIndexUrl = "https://pypi.org/simple";
  auto d = recipeDockerfile(in, s);
  ASSERT_TRUE(d) << d.error().message;
  expectGolden("gradio_pypi.Dockerfile", *d);
}

// A node without PyPI or Debian's archive: wheels from the wheelhouse, packages.txt from the
// node's local apt repository, which the node's sources.list names.
TEST(Recipes, GradioOfflineFromALocalWheelhouseAndAptRepository) {
  RecipeInputs in{"gradio", "4.44.0", "main.py", 7861, "", true, false, true};
  RecipeSettings s;
  s.useWheelhouse = true;
  s.useAptRepository = true;
  s.aptSources = "deb [trusted=yes] file:/apt-repository ./\n";
  auto d = recipeDockerfile(in, s);
  ASSERT_TRUE(d) << d.error().message;
  expectGolden("gradio_offline.Dockerfile", *d);
}

// A node with a Debian mirror of its own (no trailing newline in the file: one is added).
TEST(Recipes, StreamlitWithAptSourcesAndPackagesTxt) {
  RecipeInputs in{"streamlit", "1.38.0", "app.py", 7860, "", true, false, false};
  RecipeSettings s;
  s.aptSources = "deb http://mirror.internal/debian bookworm main";
  auto d = recipeDockerfile(in, s);
  ASSERT_TRUE(d) << d.error().message;
  expectGolden("streamlit_apt_mirror.Dockerfile", *d);
}

TEST(Recipes, Streamlit) {
  RecipeInputs in{"streamlit", "1.38.0", "streamlit_app.py", 7860, "", false, false, true};
  auto d = recipeDockerfile(in, {});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(recipePort(in), 8501);
  expectGolden("streamlit.Dockerfile", *d);
}

TEST(Recipes, StaticWithAndWithoutBuildCommand) {
  RecipeInputs in{"static", "", "index.html", 7860, "", false, false, false};
  auto plain = recipeDockerfile(in, {});
  ASSERT_TRUE(plain) << plain.error().message;
  expectGolden("static.Dockerfile", *plain);
  in.appBuildCommand = "sh build.sh";
  auto built = recipeDockerfile(in, {});
  ASSERT_TRUE(built);
  expectGolden("static_build_command.Dockerfile", *built);
}

TEST(Recipes, RefusesBadInputs) {
  RecipeInputs in{"gradio", "4.0; rm -rf /", "app.py", 7860, "", false, false, false};
  auto bad = recipeDockerfile(in, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("sdk_version '4.0; rm -rf /'"), std::string::npos);
  in = {"gradio", "4.0", "../app.py", 7860, "", false, false, false};
  EXPECT_FALSE(recipeDockerfile(in, {}));
  in = {"flask", "", "app.py", 7860, "", false, false, false};
  auto unknown = recipeDockerfile(in, {});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("valid: gradio, streamlit, static, docker"),
            std::string::npos);
  in.sdk = "docker";
  EXPECT_FALSE(recipeDockerfile(in, {}));
}

}  // namespace
}  // namespace spacelet::agent::build
