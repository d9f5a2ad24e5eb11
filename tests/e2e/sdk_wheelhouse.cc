// The SDK end-to-end tests' wheelhouse (see sdk_wheelhouse.h). The wheels are written by a
// short python3 program (zipfile, hashlib): a wheel is a zip whose RECORD lists every file
// with its sha256, which pip checks on install.
#include "sdk_wheelhouse.h"

#include <filesystem>

#include "test_env.h"

namespace spacelet::e2e {
namespace {

// argv: DIR GRADIO_VERSIONS STREAMLIT_VERSIONS LIBRARY (versions comma-separated).
constexpr const char* kMakeWheels = R"PY(
import base64, hashlib, sys, zipfile

out, gradio_versions, streamlit_versions, library = sys.argv[1:5]

def wheel(name, version, files, entry_points=""):
    norm = name.replace("-", "_")
    dist = f"{norm}-{version}.dist-info"
    files = dict(files)
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files[f"{dist}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: spacelet-e2e\n"
                              "Root-Is-Purelib: true\nTag: py3-none-any\n")
    if entry_points:
        files[f"{dist}/entry_points.txt"] = entry_points
    record = []
    with zipfile.ZipFile(f"{out}/{norm}-{version}-py3-none-any.whl", "w") as z:
        for path, text in files.items():
            data = text.encode()
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{path},sha256={digest.decode()},{len(data)}")
        record.append(f"{dist}/RECORD,,")
        z.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")

SERVE = '''
import http.server

def serve(host, port, text):
    body = ("<html><body>" + text + "</body></html>\\n").encode()
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    print(f"serving on http://{host}:{port}", flush=True)
    http.server.ThreadingHTTPServer((host, port), Page).serve_forever()
'''

GRADIO = '''
"""A stand-in for gradio (spacelet's end-to-end test): Interface(fn).launch() serves fn()."""
import os
from gradio._serve import serve

__version__ = "{version}"

class Interface:
    def __init__(self, fn, inputs=None, outputs=None):
        self.fn = fn

    def launch(self, server_name=None, server_port=None):
        host = server_name or os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
        port = int(server_port or os.environ.get("GRADIO_SERVER_PORT", "7860"))
        serve(host, port, f"gradio {{__version__}}: {{self.fn()}}")
'''

STREAMLIT = '''
"""A stand-in for streamlit (spacelet's end-to-end test): st.write collects the page."""
__version__ = "{version}"
written = []

def write(text):
    written.append(str(text))
'''

STREAMLIT_CLI = '''
"""`streamlit run APP [--server.port P] [--server.address A]`: runs APP, serves its page."""
import argparse, runpy, sys
import streamlit
from streamlit._serve import serve

def main():
    parser = argparse.ArgumentParser(prog="streamlit")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run")
    run.add_argument("app")
    run.add_argument("--server.port", dest="port", type=int, default=8501)
    run.add_argument("--server.address", dest="address", default="localhost")
    args = parser.parse_args()
    sys.path.insert(0, ".")
    runpy.run_path(args.app, run_name="__main__")
    serve(args.address, args.port, f"streamlit {streamlit.__version__}: " + " ".join(streamlit.written))
'''

for v in filter(None, gradio_versions.split(",")):
    wheel("gradio", v, {"gradio/__init__.py": GRADIO.format(version=v), "gradio/_serve.py": SERVE})
for v in filter(None, streamlit_versions.split(",")):
    wheel("streamlit", v,
          {"streamlit/__init__.py": STREAMLIT.format(version=v), "streamlit/_serve.py": SERVE,
           "streamlit/cli.py": STREAMLIT_CLI},
          "[console_scripts]\nstreamlit = streamlit.cli:main\n")
module = library.replace("-", "_")
wheel(library, "1.0", {f"{module}/__init__.py": "def greeting(who):\n    return 'hello, ' + who\n"})
)PY";

std::string joined(const std::vector<std::string>& versions) {
  std::string out;
  for (const auto& v : versions) out += (out.empty() ? "" : ",") + v;
  return out;
}

}  // namespace

std::string makeWheelhouse(const std::string& dir, const WheelhouseSpec& spec) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "create " + dir + ": " + ec.message();
  auto made =
      spacelet::testing::runCommand({"python3", "-c", kMakeWheels, dir, joined(spec.gradioVersions),
                                     joined(spec.streamlitVersions), spec.library});
  if (made.status != 0) return "python3 could not write the wheels: " + made.output;
  return "";
}

}  // namespace spacelet::e2e
