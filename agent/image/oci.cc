// JSON encoding and decoding of the OCI image types (image-spec v1.1 field names).
#include "agent/image/oci.h"

#include <nlohmann/json.hpp>

namespace spacelet::agent::image {
namespace {
using nlohmann::json;

json descriptorJson(const Descriptor& d) {
  json j = {{"mediaType", d.mediaType}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

Result<Descriptor> descriptorFrom(const json& j) {
  Descriptor d;
  d.mediaType = j.value("mediaType", "");
  auto digest = Digest::parse(j.at("digest").get<std::string>());
  if (!digest) return fail(std::move(digest).error());
  d.digest = *digest;
  d.size = j.at("size").get<int64_t>();
  if (d.size < 0) return failInvalid("descriptor of '" + d.digest.str() + "' has a negative size");
  if (j.contains("annotations")) {
    d.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
  }
  return d;
}

json runtimeJson(const RuntimeConfig& c) {
  json j = json::object();
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.env.empty()) j["Env"] = c.env;
  if (!c.entrypoint.empty()) j["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) j["Cmd"] = c.cmd;
  if (!c.workingDir.empty()) j["WorkingDir"] = c.workingDir;
  for (const auto& p : c.exposedPorts) j["ExposedPorts"][p] = json::object();
  if (!c.labels.empty()) j["Labels"] = c.labels;
  for (const auto& v : c.volumes) j["Volumes"][v] = json::object();
  if (!c.stopSignal.empty()) j["StopSignal"] = c.stopSignal;
  if (!c.shell.empty()) j["Shell"] = c.shell;
  if (c.healthcheck) j["Healthcheck"] = json::parse(*c.healthcheck);
  return j;
}

template <typename T>
void readIf(const json& j, const char* key, T& out) {
  if (j.contains(key) && !j.at(key).is_null()) out = j.at(key).get<T>();
}

RuntimeConfig runtimeFrom(const json& j) {
  RuntimeConfig c;
  readIf(j, "User", c.user);
  readIf(j, "Env", c.env);
  readIf(j, "Entrypoint", c.entrypoint);
  readIf(j, "Cmd", c.cmd);
  readIf(j, "WorkingDir", c.workingDir);
  readIf(j, "Labels", c.labels);
  readIf(j, "StopSignal", c.stopSignal);
  readIf(j, "Shell", c.shell);
  if (j.contains("ExposedPorts") && j["ExposedPorts"].is_object()) {
    for (const auto& [port, _] : j["ExposedPorts"].items()) c.exposedPorts.insert(port);
  }
  if (j.contains("Volumes") && j["Volumes"].is_object()) {
    for (const auto& [vol, _] : j["Volumes"].items()) c.volumes.insert(vol);
  }
  if (j.contains("Healthcheck") && j["Healthcheck"].is_object()) {
    c.healthcheck = j["Healthcheck"].dump();
  }
  return c;
}

// Runs a parser body, turning nlohmann's exceptions into an Error naming the document.
template <typename F>
auto guarded(const char* what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return failInvalid(std::string("malformed ") + what + ": " + e.what());
  }
}

}  // namespace

std::string toJson(const Descriptor& d) {
  return descriptorJson(d).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string toJson(const Manifest& m) {
  json j = {{"schemaVersion", 2},
            {"mediaType", kMediaTypeManifest},
            {"config", descriptorJson(m.config)},
            {"layers", json::array()}};
  for (const auto& l : m.layers) j["layers"].push_back(descriptorJson(l));
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string toJson(const ImageConfig& c) {
  json j = {{"architecture", c.architecture}, {"os", c.os}, {"config", runtimeJson(c.config)}};
  if (!c.created.empty()) j["created"] = c.created;
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", json::array()}};
  for (const auto& d : c.diffIds) j["rootfs"]["diff_ids"].push_back(d.str());
  j["history"] = json::array();
  for (const auto& h : c.history) {
    json e = {{"created_by", h.createdBy}};
    if (h.emptyLayer) e["empty_layer"] = true;
    j["history"].push_back(e);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Descriptor> parseDescriptor(const std::string& text) {
  return guarded("descriptor", [&]() { return descriptorFrom(json::parse(text)); });
}

Result<Manifest> parseManifest(const std::string& text) {
  return guarded("manifest", [&]() -> Result<Manifest> {
    json j = json::parse(text);
    Manifest m;
    auto config = descriptorFrom(j.at("config"));
    if (!config) return fail(std::move(config).error().withContext("manifest config"));
    m.config = *config;
    for (const auto& l : j.at("layers")) {
      auto layer = descriptorFrom(l);
      if (!layer) return fail(std::move(layer).error().withContext("manifest layer"));
      m.layers.push_back(*layer);
    }
    return m;
  });
}

Result<ImageConfig> parseImageConfig(const std::string& text) {
  return guarded("image config", [&]() -> Result<ImageConfig> {
    json j = json::parse(text);
    ImageConfig c;
    readIf(j, "architecture", c.architecture);
    readIf(j, "os", c.os);
    readIf(j, "created", c.created);
    if (j.contains("config") && j["config"].is_object()) c.config = runtimeFrom(j["config"]);
    for (const auto& d : j.at("rootfs").at("diff_ids")) {
      auto digest = Digest::parse(d.get<std::string>());
      if (!digest) return fail(std::move(digest).error().withContext("image config diff_ids"));
      c.diffIds.push_back(*digest);
    }
    if (j.contains("history") && j["history"].is_array()) {
      for (const auto& h : j["history"]) {
        c.history.push_back({h.value("created_by", ""), h.value("empty_layer", false)});
      }
    }
    return c;
  });
}

std::optional<std::string> envLookup(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      return e.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

void envSet(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  for (auto& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      e = key + "=" + value;
      return;
    }
  }
  env.push_back(key + "=" + value);
}

}  // namespace spacelet::agent::image
