// gradio- and streamlit-SDK Spaces end to end through their recipes: the node makes its
// Python base with debootstrap from Debian's archive (`spacectl image bootstrap python`,
// once for both Spaces: it takes minutes), its builds install from a local wheelhouse
// (builds.wheelhouse) that stands in for PyPI, and each Space reaches RUNNING through the
// real health probe and serves its page through the proxy. The gradio Space's packages.txt
// installs from a local apt repository (builds.apt_repository, named by builds.apt_sources).
// The wheels and the .deb are the test's own (sdk_wheelhouse.h, sdk_apt_repository.h); the
// golden recipe Dockerfiles show what a node with PyPI runs.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sdk_apt_repository.h"
#include "sdk_wheelhouse.h"
#include "space_files.h"
#include "space_node.h"

namespace spacelet::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(const std::string& what, double seconds) {
  std::cout << "[ measured ] " << what << ": " << seconds << " s" << std::endl;
  ::testing::Test::RecordProperty(what, std::to_string(seconds));
}

Files gradioSpace() {
  return {{"README.md", readme("title: e2e gradio\nsdk: gradio\nsdk_version: 4.44.0\n"
                               "app_file: app.py\n")},
          {"packages.txt", "spacelet-e2e-page\n"},
          {"pre-requirements.txt", "spacelet-e2e-greeting==1.0\n"},
          {"requirements.txt", "spacelet-e2e-greeting\n"},
          {"app.py",
           "import gradio as gr\nfrom spacelet_e2e_greeting import greeting\n\n"
           "apt = open('/usr/share/spacelet-e2e/page.txt').read().strip()\n"
           "gr.Interface(fn=lambda: greeting('gradio space') + '; ' + apt, inputs=None, "
           "outputs='text').launch()\n"}};
}

Files streamlitSpace() {
  return {{"README.md", readme("title: e2e streamlit\nsdk: streamlit\nsdk_version: 1.38.0\n"
                               "app_file: streamlit_app.py\n")},
          {"requirements.txt", "spacelet-e2e-greeting==1.0\n"},
          {"streamlit_app.py",
           "import subprocess\n\nimport streamlit as st\nfrom spacelet_e2e_greeting import "
           "greeting\n\n"
           "st.write(greeting('streamlit space'))\n"
           "st.write(subprocess.run(['git', '--version'], capture_output=True, "
           "text=True).stdout.strip())\n"}};
}

// Pushes `files` to a new Space of `sdk` and waits until its page says `served`; checks the
// deployment's port and that the build installed from the wheelhouse only.
void pushAndServe(SpaceNode& node, const std::string& sdk, const Files& files,
                  const std::string& served, int port) {
  std::string id = node.spaceId(sdk);
  ASSERT_EQ(node.spacectl({"create", id, "--sdk", sdk}).status, 0);
  auto start = Clock::now();
  auto pushed = node.push(id, files, sdk + " Space");
  ASSERT_EQ(pushed.status, 0) << pushed.output;
  ASSERT_TRUE(node.waitServed(id, served, 600s)) << node.describe(id);
  report(sdk + " Space, push to served", secondsSince(start));
  auto runtime = node.runtime(id);
  EXPECT_EQ(field(runtime, "stage"), "RUNNING");
  EXPECT_EQ(field(runtime, "sha"), pushed.output);
  auto list = node.deployments(id);
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_EQ(field(list[0], "sdk"), sdk);
  EXPECT_EQ(number(list[0], "app_port"), port);
  std::string buildLog = node.stateFile("spaces/" + id + "/deployments/1/build.log");
  EXPECT_NE(buildLog.find("FROM spacelet/python:3.11"), std::string::npos) << buildLog;
  EXPECT_NE(buildLog.find("pip install --no-index --find-links=/wheelhouse"), std::string::npos)
      << buildLog;
  EXPECT_NE(buildLog.find("Successfully installed"), std::string::npos) << buildLog;
}

// debootstrap fetches the Python base from Debian's archive. A machine without a default
// route cannot reach it (the VM harness has no network): the test says so and skips there; it
// runs on the host, which `make deps` has just shown can reach the archive.
std::string archiveUnreachable() {
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);  // the header
  while (std::getline(routes, line)) {
    std::istringstream fields(line);
    std::string iface, destination;
    if (fields >> iface >> destination && destination == "00000000") return "";
  }
  return "debootstrap needs Debian's package archive and this machine has no default route "
         "(the VM harness has no network); this test runs on the host";
}

TEST(E2eSdkSpaces, GradioAndStreamlitBuildFromTheDebianPythonBaseAndALocalWheelhouse) {
  if (auto why = archiveUnreachable(); !why.empty()) GTEST_SKIP() << why;
  SpaceNode node;
  std::string dir = node.agent().dir();
  // Two gradio versions: the page must show the one sdk_version pins, not pip's newest.
  ASSERT_EQ(makeWheelhouse(dir + "/wheelhouse", {{"4.44.0", "5.0.0"}, {"1.38.0"}}), "");
  ASSERT_EQ(
      makeAptRepository(dir + "/apt", "spacelet-e2e-page",
                        {{"/usr/share/spacelet-e2e/page.txt", "installed from packages.txt\n"}}),
      "");
  std::ofstream(dir + "/sources.list") << kAptRepositorySource;
  ASSERT_EQ(node.start("  wheelhouse: " + dir + "/wheelhouse\n  apt_sources: " + dir +
                       "/sources.list\n  apt_repository: " + dir + "/apt\n"),
            "");

  auto start = Clock::now();
  auto bootstrap = node.spacectl({"image", "bootstrap", "python"});
  ASSERT_EQ(bootstrap.status, 0) << bootstrap.output;
  report("python base (debootstrap bookworm)", secondsSince(start));
  EXPECT_NE(bootstrap.output.find("spacelet/python:3.11"), std::string::npos) << bootstrap.output;

  ASSERT_NO_FATAL_FAILURE(
      pushAndServe(node, "gradio", gradioSpace(),
                   "gradio 4.44.0: hello, gradio space; installed from packages.txt", 7860));
  // packages.txt came from the local repository that only builds.apt_sources' text names.
  std::string gradioLog =
      node.stateFile("spaces/" + node.spaceId("gradio") + "/deployments/1/build.log");
  EXPECT_NE(gradioLog.find("file:/apt-repository ./ spacelet-e2e-page 1.0"), std::string::npos)
      << gradioLog;
  ASSERT_NO_FATAL_FAILURE(pushAndServe(node, "streamlit", streamlitSpace(),
                                       "streamlit 1.38.0: hello, streamlit space git version 2.",
                                       8501));
}

}  // namespace
}  // namespace spacelet::e2e
