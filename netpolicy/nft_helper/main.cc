// spacelet-nft-helper: the one process that links libnftables. The network policy library
// starts it once (in the node's network namespace) and feeds it nft JSON documents over the
// socket on its stdin/stdout, which saves an nft process start and libnftables setup per
// change. It never lives in the agent: libnftables uses select() and aborts once an fd number
// passes 1024, and this process only ever has a handful of fds. Protocol (nft_helper_protocol.h):
//   library -> helper: frame(document)
//   helper -> library: frame(status as decimal text), frame(output), frame(error messages)
// It exits when the library closes its end of the socket.
#include <nftables/libnftables.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "nft_helper_protocol.h"

namespace {

struct CtxFree {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};
using Ctx = std::unique_ptr<nft_ctx, CtxFree>;

// Runs one document; the output and error buffers are made afresh for each run, so nothing
// of an earlier run is ever returned.
bool runOne(nft_ctx* ctx, const std::string& document, int fd) {
  if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) return false;
  int rc = nft_run_cmd_from_buffer(ctx, document.c_str());
  const char* out = nft_ctx_get_output_buffer(ctx);
  const char* err = nft_ctx_get_error_buffer(ctx);
  bool sent = spacelet::netpolicy::writeFrame(fd, rc == 0 ? "0" : "1") &&
              spacelet::netpolicy::writeFrame(fd, out ? out : "") &&
              spacelet::netpolicy::writeFrame(fd, err ? err : "");
  nft_ctx_unbuffer_output(ctx);
  nft_ctx_unbuffer_error(ctx);
  return sent;
}

}  // namespace

int main() {
  Ctx ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) {
    std::fputs("spacelet-nft-helper: cannot set up libnftables\n", stderr);
    return 1;
  }
  nft_ctx_output_set_flags(ctx.get(), NFT_CTX_OUTPUT_JSON);
  for (;;) {
    std::string document;
    auto got = spacelet::netpolicy::readFrame(STDIN_FILENO, document);
    if (got != spacelet::netpolicy::FrameRead::kFrame)
      return got == spacelet::netpolicy::FrameRead::kEnd ? 0 : 1;
    if (!runOne(ctx.get(), document, STDOUT_FILENO)) return 1;
  }
}
