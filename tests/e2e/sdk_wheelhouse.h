// The local wheelhouse that stands in for PyPI in the SDK end-to-end tests. There is no PyPI
// here, so the test makes its own small but real wheels with the host's python3 (a zip with a
// dist-info, hashed RECORD, console-script entry points): a `gradio` whose
// Interface(fn).launch() serves fn() over HTTP on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT
// (127.0.0.1:7860 unless told, like the real one), a `streamlit` console script whose
// `streamlit run APP --server.port P --server.address A` runs APP and serves what it wrote
// (localhost:8501 unless told), and a plain library for requirements files.
#pragma once

#include <string>
#include <vector>

namespace spacelet::e2e {

// What goes into the wheelhouse: each gradio and streamlit version is a wheel of its own, so
// a test can check that the recipe's `==sdk_version` pin chose the right one.
struct WheelhouseSpec {
  std::vector<std::string> gradioVersions;
  std::vector<std::string> streamlitVersions;
  std::string library = "spacelet-e2e-greeting";  // version 1.0; greeting(who) -> "hello, who"
};

// Writes the wheels into `dir` (created). Returns "" or why not (with python3's output).
std::string makeWheelhouse(const std::string& dir, const WheelhouseSpec& spec);

}  // namespace spacelet::e2e
