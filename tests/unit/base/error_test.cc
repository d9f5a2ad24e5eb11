// Result<T> and Error: value and error paths, context prefixing, SPACELET_TRY propagation.
#include "spacelet/base/error.h"

#include <gtest/gtest.h>

namespace spacelet {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return failInvalid("value '" + std::to_string(v) + "' must be positive");
  return v;
}

Result<int> doubled(int v) {
  SPACELET_TRY_CONTEXT(parsePositive(v), "doubling");
  return v * 2;
}

TEST(Result, CarriesValue) {
  auto r = parsePositive(3);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 3);
  EXPECT_EQ(r.value_or(7), 3);
}

TEST(Result, CarriesErrorWithCode) {
  auto r = parsePositive(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
  EXPECT_EQ(r.error().message, "value '-1' must be positive");
  EXPECT_EQ(r.value_or(7), 7);
}

TEST(Result, TryPrefixesContext) {
  auto r = doubled(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "doubling: value '0' must be positive");
  EXPECT_EQ(*doubled(4), 8);
}

TEST(Error, FromErrnoNamesTheSystemError) {
  Error e = Error::fromErrno(ENOENT, "open 'x'");
  EXPECT_EQ(e.code, ENOENT);
  EXPECT_EQ(e.message, "open 'x': No such file or directory");
}

TEST(ResultVoid, SuccessAndFailure) {
  Result<void> ok;
  EXPECT_TRUE(ok);
  Result<void> bad = failErrno(EPERM, "mount");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, EPERM);
}

}  // namespace
}  // namespace spacelet
