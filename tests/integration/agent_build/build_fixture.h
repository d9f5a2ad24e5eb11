// Shared fixture of the builder's integration tests: a temp image store with a busybox base
// image made from tests/support's rootfs, builder settings pointing at spacelet-run (or, until
// it runs containers here, runc: SPACELET_TEST_RUNTIME overrides), and helpers to write a
// build context and run a build while capturing its log.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/build/builder.h"
#include "agent/image/image_store.h"
#include "test_env.h"

namespace spacelet::agent::build::testing {

std::string buildRuntime();

class BuildFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes files (path -> content) below the context dir.
  void writeContext(const std::map<std::string, std::string>& files);
  Result<BuildResult> runBuild(const std::string& dockerfile, BuildOptions options = {});
  // Unpacks an image into a fresh dir and returns its path.
  std::string unpackImage(const image::Image& image);

  std::unique_ptr<spacelet::testing::TempDir> dir_;
  std::optional<image::ImageStore> store_;
  BuilderSettings settings_;
  std::string context_;
  std::string log_;
  int builds_ = 0;
};

}  // namespace spacelet::agent::build::testing
