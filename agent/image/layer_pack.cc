// Layer packing with libarchive (tar) and zlib (gzip) (see layer_pack.h).
#include "agent/image/layer_pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::image {
namespace {

// libarchive's message for its last error; it may have none (NULL), found by the layer fuzzer.
std::string archiveError(archive* a) {
  const char* message = archive_error_string(a);
  return message ? message : "unknown libarchive error";
}

// The tar stream's sink: hashes the uncompressed bytes (the diff id) and gzips them into
// the blob writer. The first error is kept; libarchive only sees a failed write.
class LayerSink {
 public:
  LayerSink(BlobWriter& out, int level) : out_(out), level_(level) {
    if (level_ > 0) deflateInit2(&z_, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  }
  ~LayerSink() {
    if (level_ > 0) deflateEnd(&z_);
  }
  bool write(const void* data, size_t size) {
    diff_.update({static_cast<const char*>(data), size});
    if (level_ == 0) return keep(out_.write({static_cast<const char*>(data), size}));
    z_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    z_.avail_in = static_cast<uInt>(size);
    return pump(Z_NO_FLUSH);
  }
  bool finish() { return level_ == 0 || pump(Z_FINISH); }
  Digest diffId() { return diff_.finish(); }
  Error takeError() { return error_; }

 private:
  bool pump(int flush) {
    char buf[64 << 10];
    int rc;
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      rc = deflate(&z_, flush);
      size_t have = sizeof buf - z_.avail_out;
      if (have > 0 && !keep(out_.write({buf, have}))) return false;
    } while (z_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return true;
  }
  bool keep(Result<void> r) {
    if (!r) error_ = std::move(r).error();
    return r.has_value();
  }
  BlobWriter& out_;
  int level_;
  z_stream z_{};
  Sha256 diff_;
  Error error_;
};

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

la_ssize_t sinkWrite(archive*, void* ctx, const void* data, size_t size) {
  return static_cast<LayerSink*>(ctx)->write(data, size) ? static_cast<la_ssize_t>(size) : -1;
}

struct Packer {
  archive* a;
  const PackOptions& options;
  std::map<std::pair<dev_t, ino_t>, std::string> seenInodes;  // hard links
  int64_t entries = 0;
  int64_t bytes = 0;  // file data so far
};

Result<int64_t> shiftId(const Packer& p, int64_t id, const std::string& path) {
  int64_t shifted = id - p.options.idShift;
  if (shifted < 0 || shifted >= p.options.idCount) {
    return failInvalid("'" + path + "' is owned by id " + std::to_string(id) +
                       ", outside the build's user namespace range");
  }
  return shifted;
}

std::vector<std::string> sortedNames(int dirFd) {
  std::vector<std::string> names;
  int fd = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return names;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
  if (!dir) {
    ::close(fd);
    return names;
  }
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> writeHeader(Packer& p, archive_entry* e) {
  if (archive_write_header(p.a, e) != ARCHIVE_OK) {
    return failInvalid(std::string("write tar header: ") + archiveError(p.a));
  }
  ++p.entries;
  return {};
}

std::string whiteoutName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".wh." + path;
  return path.substr(0, slash + 1) + ".wh." + path.substr(slash + 1);
}

// Whiteouts travel in tar as empty marker files: '.wh.NAME' for an overlay whiteout (char
// device 0/0) and '.wh..wh..opq' inside an opaque directory.
Result<void> addMarker(Packer& p, const std::string& markerPath) {
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                             archive_entry_free);
  archive_entry_set_pathname(e.get(), markerPath.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), 0);
  return writeHeader(p, e.get());
}

Result<void> addFileData(Packer& p, int parentFd, const std::string& name) {
  auto fd = openAt(parentFd, name, O_RDONLY | O_NOFOLLOW);
  if (!fd) return fail(std::move(fd).error());
  char buf[128 << 10];
  ssize_t n;
  while ((n = ::read(fd->get(), buf, sizeof buf)) > 0) {
    if (archive_write_data(p.a, buf, static_cast<size_t>(n)) < 0) {
      return failInvalid(std::string("write tar data: ") + archiveError(p.a));
    }
  }
  if (n < 0) return failErrno(errno, "read '" + name + "'");
  return {};
}

void addCapabilityXattr(archive_entry* e, int parentFd, const std::string& name) {
  int fd = ::openat(parentFd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;
  char value[256];
  ssize_t n = ::fgetxattr(fd, "security.capability", value, sizeof value);
  if (n > 0) archive_entry_xattr_add_entry(e, "security.capability", value, static_cast<size_t>(n));
  ::close(fd);
}

Result<void> addTree(Packer& p, int dirFd, const std::string& prefix);

Result<void> addEntry(Packer& p, int dirFd, const std::string& name, const std::string& path) {
  struct stat st {};
  if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return failErrno(errno, "stat '" + path + "'");
  }
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return addMarker(p, whiteoutName(path));
  if (S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return {};
  auto uid = shiftId(p, st.st_uid, path);
  auto gid = shiftId(p, st.st_gid, path);
  if (!uid || !gid) return fail(!uid ? std::move(uid).error() : std::move(gid).error());
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                             archive_entry_free);
  archive_entry_set_pathname(e.get(), path.c_str());
  archive_entry_set_perm(e.get(), st.st_mode & 07777);
  archive_entry_set_uid(e.get(), *uid);
  archive_entry_set_gid(e.get(), *gid);
  archive_entry_set_mtime(e.get(), st.st_mtime, 0);
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    auto [it, fresh] = p.seenInodes.emplace(std::make_pair(st.st_dev, st.st_ino), path);
    if (!fresh) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      return writeHeader(p, e.get());
    }
  }
  if (S_ISDIR(st.st_mode)) {
    archive_entry_set_filetype(e.get(), AE_IFDIR);
    SPACELET_TRY(writeHeader(p, e.get()));
    auto child = openAt(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!child) return fail(std::move(child).error());
    char opaque = 0;
    if (::fgetxattr(child->get(), "trusted.overlay.opaque", &opaque, 1) == 1 && opaque == 'y') {
      SPACELET_TRY(addMarker(p, path + "/.wh..wh..opq"));
    }
    return addTree(p, child->get(), path + "/");
  }
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlinkat(dirFd, name.c_str(), target, sizeof target - 1);
    if (n < 0) return failErrno(errno, "readlink '" + path + "'");
    target[n] = '\0';
    archive_entry_set_filetype(e.get(), AE_IFLNK);
    archive_entry_set_symlink(e.get(), target);
    return writeHeader(p, e.get());
  }
  if (S_ISFIFO(st.st_mode)) {
    archive_entry_set_filetype(e.get(), AE_IFIFO);
    return writeHeader(p, e.get());
  }
  p.bytes += st.st_size;
  if (p.bytes > p.options.maxBytes) {
    return failInvalid("the layer grows past " + std::to_string(p.options.maxBytes) +
                       " bytes at '" + path + "' (builds.max_layer_bytes)");
  }
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_size(e.get(), st.st_size);
  addCapabilityXattr(e.get(), dirFd, name);
  SPACELET_TRY(writeHeader(p, e.get()));
  return addFileData(p, dirFd, name);
}

Result<void> addTree(Packer& p, int dirFd, const std::string& prefix) {
  for (const auto& name : sortedNames(dirFd)) {
    SPACELET_TRY(addEntry(p, dirFd, name, prefix + name));
  }
  return {};
}

}  // namespace

Result<PackedLayer> packLayer(int dirFd, BlobStore& store, const PackOptions& options) {
  auto writer = store.writer();
  if (!writer) return fail(std::move(writer).error());
  LayerSink sink(*writer, options.gzipLevel);
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  // Names are bytes on Linux: store them as they are instead of converting through the
  // process locale (the C locale cannot translate 'Főtanúsítvány.pem').
  archive_write_set_format_option(a.get(), "pax", "hdrcharset", "BINARY");
  archive_write_set_bytes_per_block(a.get(), 0);  // no padding to 10 KiB blocks
  archive_write_open(a.get(), &sink, nullptr, sinkWrite, nullptr);
  Packer packer{a.get(), options, {}, 0};
  auto added = addTree(packer, dirFd, "");
  bool closed = archive_write_close(a.get()) == ARCHIVE_OK;
  if (!added) return fail(std::move(added).error().withContext("pack layer"));
  if (!closed || !sink.finish()) {
    Error err = sink.takeError();
    if (err.message.empty()) err = Error{EIO, archiveError(a.get())};
    return fail(std::move(err).withContext("pack layer"));
  }
  auto blob = writer->commit(options.gzipLevel > 0 ? kMediaTypeLayerGzip : kMediaTypeLayerTar);
  if (!blob) return fail(std::move(blob).error());
  return PackedLayer{*blob, sink.diffId(), packer.entries};
}

}  // namespace spacelet::agent::image
