// In-memory tar writer for tests (see test_tar.h).
#include "test_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <stdexcept>

namespace spacelet::agent::image::testing {
namespace {

la_ssize_t appendTo(archive*, void* ctx, const void* data, size_t size) {
  static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

void setType(archive_entry* e, const TarEntry& t) {
  switch (t.kind) {
    case TarEntry::kDir:
      archive_entry_set_filetype(e, AE_IFDIR);
      break;
    case TarEntry::kSymlink:
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, t.data.c_str());
      break;
    case TarEntry::kHardlink:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, t.data.c_str());
      break;
    case TarEntry::kCharDevice:
      archive_entry_set_filetype(e, AE_IFCHR);
      archive_entry_set_rdev(e, makedev(1, 3));
      break;
    case TarEntry::kFifo:
      archive_entry_set_filetype(e, AE_IFIFO);
      break;
    case TarEntry::kFile:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, t.declaredSize >= 0 ? t.declaredSize : t.data.size());
      break;
  }
}

}  // namespace

std::string makeTar(const std::vector<TarEntry>& entries, Compression c) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (c == Compression::kGzip) archive_write_add_filter_gzip(a);
  if (c == Compression::kZstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_per_block(a, 0);
  archive_write_open(a, &out, nullptr, appendTo, nullptr);
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_perm(e, t.mode);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, 1700000000, 0);
    setType(e, t);
    archive_write_header(a, e);
    if (t.kind == TarEntry::kFile && t.declaredSize < 0) {
      archive_write_data(a, t.data.data(), t.data.size());
    }
    archive_entry_free(e);
  }
  if (archive_write_close(a) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
  archive_write_free(a);
  return out;
}

}  // namespace spacelet::agent::image::testing
