// The repositories the end-to-end tests push: README front matter, a static page, and
// docker-SDK Spaces built FROM the node's local busybox base image whose command is chosen
// by the test (serve a folder, crash in a loop, allocate past the memory limit...).
#pragma once

#include <string>

#include "space_node.h"

namespace spacelet::e2e {

// A README.md with `frontMatter` (YAML lines, without the --- fences).
std::string readme(const std::string& frontMatter);

// A static Space: README (sdk: static) and index.html with `page`.
Files staticSpace(const std::string& page);

// A docker-SDK Space listening on 8080: www/index.html with `page`, a Dockerfile FROM the
// local busybox image whose CMD is `sh -c <script>` run as uid 1000 in /srv; `extraSteps`
// go before CMD (e.g. a slow RUN).
Files dockerSpace(const std::string& page, const std::string& script,
                  const std::string& extraSteps = "");

// The script of a docker Space that serves /srv/www (busybox httpd in the foreground).
std::string serveScript();

}  // namespace spacelet::e2e
