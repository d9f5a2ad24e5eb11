// Whole-file helpers relative to a directory fd, including the atomic replace.
#include "spacelet/base/file_io.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace spacelet {
namespace {

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spacelet-fileio-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    dirfd_ = UniqueFd(::open(dir_.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(dirfd_.valid());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  UniqueFd dirfd_;
};

TEST_F(FileIo, AtomicWriteThenRead) {
  ASSERT_TRUE(writeFileAtomicAt(dirfd_.get(), "state.json", "{\"a\":1}", 0600));
  auto data = readFileAt(dirfd_.get(), "state.json");
  ASSERT_TRUE(data);
  EXPECT_EQ(*data, "{\"a\":1}");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state.json.tmp"));
}

TEST_F(FileIo, RacingAtomicWritersEachReplaceTheWholeFile) {
  // Two builds writing one cache record at once: before, both used "<path>.tmp" and one
  // rename failed. Each writer must succeed, the file must hold one writer's whole content,
  // and no temp file may remain.
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (char c : {'a', 'b'}) {
    writers.emplace_back([&, c] {
      std::string content(4096, c);
      for (int i = 0; i < 200; ++i) {
        if (!writeFileAtomicAt(dirfd_.get(), "record.json", content)) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  auto data = readFileAt(dirfd_.get(), "record.json");
  ASSERT_TRUE(data);
  EXPECT_TRUE(*data == std::string(4096, 'a') || *data == std::string(4096, 'b'));
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "record.json");
  }
  EXPECT_EQ(entries, 1u);
}

TEST_F(FileIo, MissingFileNamesThePath) {
  auto data = readFileAt(dirfd_.get(), "nope");
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().code, ENOENT);
  EXPECT_NE(data.error().message.find("'nope'"), std::string::npos);
}

TEST_F(FileIo, WriteFileDoesNotCreate) {
  auto r = writeFileAt(dirfd_.get(), "absent", "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
}

}  // namespace
}  // namespace spacelet
