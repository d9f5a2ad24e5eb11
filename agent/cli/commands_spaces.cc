// spacectl info, create, list, runtime, delete.
#include <cstdio>

#include "agent/cli/commands_list.h"
#include "agent/cli/table.h"

namespace spacelet::agent::cli {
namespace {

std::string text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.get<double>());
    return buf;
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

int info(Context& ctx, const ParsedArgs&) {
  return simpleRequest(ctx, "GET", "/v1/info", "", [&](const nlohmann::json& j) {
    ctx.out << "version:   " << text(j["version"]) << "\nhostname:  " << text(j["hostname"])
            << "\ncgroups:   " << text(j["cgroup"]["mode"]) << " (driver "
            << text(j["cgroup"]["driver"]) << ")\ncapacity:  " << text(j["capacity"]["cpus"])
            << " CPUs, " << humanBytes(j["capacity"]["memory"].get<uint64_t>()) << " memory, "
            << text(j["capacity"]["spaces"]) << " of " << text(j["capacity"]["max_spaces"])
            << " Spaces\n";
    ctx.out << "GPUs:      " << (j["gpus"].empty() ? "none" : std::to_string(j["gpus"].size()))
            << "\n\n";
    if (!j["gpus"].empty()) {
      std::vector<std::vector<std::string>> gpus;
      for (const auto& g : j["gpus"]) {
        std::string waiting;
        for (const auto& w : g["waiting"]) waiting += (waiting.empty() ? "" : ", ") + text(w);
        gpus.push_back({text(g["name"]), g["model"] == "" ? "-" : text(g["model"]),
                        g["space"].is_null() ? "free" : "in use by " + text(g["space"]),
                        waiting.empty() ? "-" : waiting});
      }
      ctx.out << renderTable({"GPU", "MODEL", "STATE", "WAITING"}, gpus) << "\n";
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : j["flavors"]) {
      std::string gpus =
          f["gpus"].get<uint64_t>() == 0 ? "-" : text(f["gpus"]) + "x " + text(f["gpu_model"]);
      std::string name = text(f["name"]) + (f["name"] == j["default_hardware"] ? " (default)" : "");
      rows.push_back({name, text(f["cpus"]), humanBytes(f["memory"].get<uint64_t>()), gpus,
                      text(f["description"])});
    }
    ctx.out << renderTable({"FLAVOR", "CPUS", "MEMORY", "GPUS", "DESCRIPTION"}, rows);
  });
}

int create(Context& ctx, const ParsedArgs& a) {
  nlohmann::json body = {{"id", a.positionals[0]}};
  if (a.has("--sdk")) body["sdk"] = a.get("--sdk");
  if (a.has("--hardware")) body["hardware"] = a.get("--hardware");
  if (a.has("--source")) body["source"] = a.get("--source");
  if (a.has("--sleep-time")) {
    try {
      body["sleep_time"] = std::stoll(a.get("--sleep-time"));
    } catch (const std::exception&) {
      ctx.err << "spacectl create: --sleep-time takes whole seconds (-1: never)\n";
      return kExitUsage;
    }
  }
  return simpleRequest(ctx, "POST", "/v1/spaces", body.dump(), [&](const nlohmann::json& j) {
    ctx.out << "created " << text(j["id"]) << " (" << text(j["stage"]) << ")\n";
  });
}

int list(Context& ctx, const ParsedArgs& a) {
  std::string path = "/v1/spaces";
  if (a.has("--author")) path += "?author=" + escapeSegment(a.get("--author"));
  return simpleRequest(ctx, "GET", path, "", [&](const nlohmann::json& j) {
    if (a.has("--quiet")) {
      for (const auto& s : j["spaces"]) ctx.out << text(s["id"]) << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : j["spaces"]) {
      rows.push_back({text(s["id"]), text(s["stage"]), text(s["hardware"]["requested"]),
                      text(s["sdk"]), text(s["updated_at"])});
    }
    ctx.out << renderTable({"ID", "STAGE", "HARDWARE", "SDK", "UPDATED"}, rows);
  });
}

int runtime(Context& ctx, const ParsedArgs& a) {
  return simpleRequest(ctx, "GET", spacePath(a.positionals[0]), "",
                       [&](const nlohmann::json& j) { printRuntime(ctx.out, j); });
}

int remove(Context& ctx, const ParsedArgs& a) {
  return simpleRequest(
      ctx, "DELETE", spacePath(a.positionals[0]), "", [&](const nlohmann::json& j) {
        if (j.value("deleted", false))
          ctx.out << "deleted " << a.positionals[0] << "\n";
        else
          ctx.out << "deleting " << a.positionals[0] << " (" << text(j["stage"]) << ")\n";
      });
}

}  // namespace

void printRuntime(std::ostream& out, const nlohmann::json& j) {
  out << "id:             " << text(j["id"]) << "\nstage:          " << text(j["stage"])
      << "\nsdk:            " << text(j["sdk"])
      << "\nhardware:       " << text(j["hardware"]["current"]) << " (requested "
      << text(j["hardware"]["requested"])
      << ")\nsleep time:     " << humanSeconds(j["sleep_time"].get<int64_t>())
      << "\nsource:         " << text(j["source"]) << "\nsha:            " << text(j["sha"])
      << "\naddress:        " << text(j["address"]) << "\nrestarts:       " << text(j["restarts"])
      << "\nlast exit:      " << text(j["last_exit"])
      << "\nerror:          " << text(j["error_message"])
      << "\ncreated:        " << text(j["created_at"])
      << "\nupdated:        " << text(j["updated_at"])
      << "\nstage since:    " << text(j["stage_changed_at"]) << "\n";
}

std::vector<Command> spaceCommands() {
  return {
      {"info",
       "",
       "Show the node: version, cgroups, capacity, GPUs and hardware flavors.",
       "",
       {},
       0,
       0,
       info},
      {"create",
       "ID",
       "Create a Space (ID is author/name).",
       "Without --sdk, --hardware or --sleep-time the node's defaults apply (see 'spacectl info').",
       {{"--sdk", "", "S", "gradio, streamlit, docker or static"},
        {"--hardware", "", "F", "a flavor from 'spacectl info'"},
        {"--source", "", "URL", "follow this upstream git repository"},
        {"--sleep-time", "", "SECONDS", "idle time before the Space sleeps (-1: never)"}},
       1,
       1,
       create},
      {"list",
       "",
       "List the Spaces.",
       "",
       {{"--author", "", "A", "only this author's Spaces"},
        {"--quiet", "-q", "", "print only the ids"}},
       0,
       0,
       list},
      {"runtime",
       "ID",
       "Show a Space's runtime: stage, hardware, sleep time, sha, errors.",
       "",
       {},
       1,
       1,
       runtime},
      {"delete",
       "ID",
       "Delete a Space with its secrets, variables and logs.",
       "",
       {},
       1,
       1,
       remove},
  };
}

}  // namespace spacelet::agent::cli
