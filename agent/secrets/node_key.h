// Where the node key comes from: a systemd credential ($CREDENTIALS_DIRECTORY/spacelet.key,
// e.g. LoadCredentialEncrypted=), else the key file (default /etc/spacelet/node.key), which is
// generated with 32 random bytes and mode 0600 on first start. A key file that others can read
// is refused rather than used.
#pragma once

#include <string>

#include "agent/secrets/secret_box.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::secrets {

constexpr const char* kCredentialName = "spacelet.key";

struct NodeKeyLocation {
  std::string credentialsDir;  // $CREDENTIALS_DIRECTORY, or "" when systemd passed none
  std::string keyFile;         // paths.node_key
};

// Reads the credential when present, else the key file, else generates the key file
// (atomically: a concurrent start never sees a half-written key). Key files hold 32 raw bytes
// or 64 hex digits (a trailing newline is fine).
Result<NodeKey> loadOrCreateNodeKey(const NodeKeyLocation& location);

}  // namespace spacelet::agent::secrets
