// Loading, checking and generating the node key (see node_key.h).
#include "agent/secrets/node_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::secrets {
namespace {

using KeyBytes = std::array<uint8_t, kNodeKeyBytes>;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 32 raw bytes, or 64 hex digits with an optional trailing newline.
Result<KeyBytes> decodeKey(std::string data, const std::string& where) {
  KeyBytes key{};
  if (data.size() == kNodeKeyBytes) {
    std::copy(data.begin(), data.end(), key.begin());
    OPENSSL_cleanse(data.data(), data.size());
    return key;
  }
  while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) data.pop_back();
  bool hex = data.size() == 2 * kNodeKeyBytes;
  for (size_t i = 0; hex && i < kNodeKeyBytes; ++i) {
    int hi = hexValue(data[2 * i]), lo = hexValue(data[2 * i + 1]);
    if (hi < 0 || lo < 0)
      hex = false;
    else
      key[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  size_t size = data.size();
  OPENSSL_cleanse(data.data(), data.size());
  if (!hex) {
    return failInvalid("node key " + where + " must hold 32 bytes, or 64 hex digits; it holds " +
                       std::to_string(size) + " bytes that are neither. Generate one with " +
                       "'openssl rand -hex 32'");
  }
  return key;
}

Result<NodeKey> readCredential(const std::string& path) {
  auto data = readFileAt(AT_FDCWD, path);
  if (!data) return fail(std::move(data).error().withContext("read node key credential"));
  auto key = decodeKey(std::move(*data), "credential '" + path + "'");
  if (!key) return fail(std::move(key).error());
  return NodeKey(*key, "credential '" + path + "'");
}

Result<NodeKey> readKeyFile(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return failErrno(errno, "stat '" + path + "'");
  if (!S_ISREG(st.st_mode)) return failInvalid("node key '" + path + "' is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return fail(Error{EPERM, "node key '" + path + "' has mode " + mode +
                                 "; others must not read it: chmod 0600 '" + path + "'"});
  }
  if (st.st_uid != ::geteuid()) {
    return fail(Error{EPERM, "node key '" + path + "' belongs to uid " + std::to_string(st.st_uid) +
                                 ", not to this agent's uid " + std::to_string(::geteuid()) +
                                 "; chown it"});
  }
  auto data = readAll(fd);
  if (!data) return fail(std::move(data).error().withContext("read '" + path + "'"));
  auto key = decodeKey(std::move(*data), "file '" + path + "'");
  if (!key) return fail(std::move(key).error());
  return NodeKey(*key, "file '" + path + "'");
}

// Writes 32 random bytes to an unnamed file in the key's directory and links it into place, so
// the key appears whole or not at all; EEXIST means another instance just created it.
Result<void> generateKeyFile(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec)
    return fail(Error{ec.value(), "create directory '" + parent.string() + "': " + ec.message()});
  auto fd = openAt(AT_FDCWD, parent.string(), O_TMPFILE | O_WRONLY, 0600);
  if (!fd) return fail(std::move(fd).error().withContext("create node key"));
  KeyBytes key{};
  if (RAND_bytes(key.data(), key.size()) != 1) return fail(Error{EIO, "generate node key"});
  auto written =
      writeAll(fd->get(), std::string_view(reinterpret_cast<char*>(key.data()), key.size()));
  OPENSSL_cleanse(key.data(), key.size());
  if (!written) return fail(std::move(written).error().withContext("write '" + path + "'"));
  if (::fsync(fd->get()) != 0) return failErrno(errno, "fsync '" + path + "'");
  std::string procPath = "/proc/self/fd/" + std::to_string(fd->get());
  if (::linkat(AT_FDCWD, procPath.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    if (errno == EEXIST) return {};
    return failErrno(errno, "create '" + path + "'");
  }
  auto dir = openAt(AT_FDCWD, parent.string(), O_RDONLY | O_DIRECTORY);
  if (dir) ::fsync(dir->get());
  return {};
}

}  // namespace

Result<NodeKey> loadOrCreateNodeKey(const NodeKeyLocation& location) {
  if (!location.credentialsDir.empty()) {
    std::string credential = location.credentialsDir + "/" + kCredentialName;
    if (::access(credential.c_str(), F_OK) == 0) return readCredential(credential);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(location.keyFile.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      UniqueFd owned(fd);
      return readKeyFile(owned.get(), location.keyFile);
    }
    if (errno == ELOOP)
      return failInvalid("node key '" + location.keyFile +
                         "' is a symlink; "
                         "point paths.node_key at the file itself");
    if (errno != ENOENT) return failErrno(errno, "open node key '" + location.keyFile + "'");
    SPACELET_TRY(generateKeyFile(location.keyFile));
  }
  return failInvalid("node key '" + location.keyFile + "' vanished while it was being created");
}

}  // namespace spacelet::agent::secrets
