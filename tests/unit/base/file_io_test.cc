// Whole-file helpers relative to a directory fd, including the atomic replace.
#include "spacelet/base/file_io.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

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
