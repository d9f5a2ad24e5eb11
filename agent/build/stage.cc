// Stages, ARG scoping and config-only instructions (see stage.h).
#include "agent/build/stage.h"

#include <nlohmann/json.hpp>
#include <regex>

namespace spacelet::agent::build {
namespace {

Unexpected insError(const Instruction& ins, const std::string& message) {
  return failInvalid(ins.where() + ": " + message);
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Result<std::string> expandWith(const Instruction& ins, const std::string& raw, char escape,
                               const VarLookup& vars) {
  auto out = expandWord(raw, &vars, escape);
  if (!out) return insError(ins, out.error().message);
  return out;
}

Result<std::vector<std::string>> expandedWords(const Instruction& ins, char escape,
                                               const StageState& state) {
  auto words = splitWords(ins.rest, escape);
  if (!words) return insError(ins, words.error().message);
  std::vector<std::string> out;
  for (const auto& w : *words) {
    auto e = expandIn(ins, w, escape, state);
    if (!e) return fail(std::move(e).error());
    out.push_back(*e);
  }
  return out;
}

Result<void> applyArg(const Instruction& ins, char escape,
                      const std::map<std::string, std::string>& buildArgs, StageState& state) {
  auto pairs = parseKeyValues(ins.rest, escape, false);
  if (!pairs) return insError(ins, pairs.error().message);
  for (const auto& kv : *pairs) {
    if (auto it = buildArgs.find(kv.key); it != buildArgs.end()) {
      state.args[kv.key] = it->second;
    } else if (kv.hasValue) {
      auto v = expandIn(ins, kv.value, escape, state);
      if (!v) return fail(std::move(v).error());
      state.args[kv.key] = *v;
    } else if (!state.args.contains(kv.key)) {
      state.args[kv.key] = "";
    }
  }
  return {};
}

Result<void> applyEnvOrLabel(const Instruction& ins, char escape, StageState& state) {
  auto pairs = parseKeyValues(ins.rest, escape, true);
  if (!pairs) return insError(ins, pairs.error().message);
  for (const auto& kv : *pairs) {
    auto key = expandIn(ins, kv.key, escape, state);
    auto value = expandIn(ins, kv.value, escape, state);
    if (!key || !value) return fail(!key ? key.error() : value.error());
    if (ins.keyword == "ENV") {
      image::envSet(state.config.config.env, *key, *value);
    } else {
      state.config.config.labels[*key] = *value;
    }
  }
  return {};
}

Result<void> applyExpose(const Instruction& ins, char escape, StageState& state) {
  static const std::regex kPort(R"(^(\d{1,5})(-\d{1,5})?(/(tcp|udp|sctp))?$)");
  auto words = expandedWords(ins, escape, state);
  if (!words) return fail(std::move(words).error());
  for (auto port : *words) {
    if (!std::regex_match(port, kPort)) {
      return insError(ins, "'" + port + "' is not a port; use e.g. 7860 or 7860/tcp");
    }
    if (port.find('/') == std::string::npos) port += "/tcp";
    state.config.config.exposedPorts.insert(port);
  }
  return {};
}

std::vector<std::string> commandOf(const Instruction& ins, const StageState& state) {
  if (ins.execForm) return ins.execArgs;
  std::vector<std::string> cmd = shellOf(state);
  cmd.push_back(ins.rest);
  return cmd;
}

Result<void> applyHealthcheck(const Instruction& ins, StageState& state) {
  nlohmann::json hc;
  std::string rest = ins.rest;
  if (upper(rest) == "NONE") {
    hc["Test"] = {"NONE"};
  } else {
    std::string cmd = rest.substr(rest.find_first_of(" \t") + 1);
    cmd.erase(0, cmd.find_first_not_of(" \t"));
    Instruction inner = ins;
    inner.rest = cmd;
    inner.execForm = false;
    try {
      auto j = nlohmann::json::parse(cmd);
      if (j.is_array()) inner.execForm = true, inner.execArgs = j.get<std::vector<std::string>>();
    } catch (const std::exception&) {
    }
    std::vector<std::string> test = {inner.execForm ? "CMD" : "CMD-SHELL"};
    if (inner.execForm)
      test.insert(test.end(), inner.execArgs.begin(), inner.execArgs.end());
    else
      test.push_back(cmd);
    hc["Test"] = test;
    for (const char* key : {"interval", "timeout", "start-period", "start-interval"}) {
      std::string v = ins.flag(key);
      if (v.empty()) continue;
      std::string name = key == std::string("start-period")     ? "StartPeriod"
                         : key == std::string("start-interval") ? "StartInterval"
                         : key == std::string("interval")       ? "Interval"
                                                                : "Timeout";
      hc[name] = *parseDuration(v);
    }
    if (!ins.flag("retries").empty()) hc["Retries"] = std::stoi(ins.flag("retries"));
  }
  state.config.config.healthcheck =
      hc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return {};
}

Result<void> applyVolume(const Instruction& ins, char escape, StageState& state) {
  std::vector<std::string> vols;
  if (ins.execForm) {
    vols = ins.execArgs;
  } else {
    auto words = expandedWords(ins, escape, state);
    if (!words) return fail(std::move(words).error());
    vols = *words;
  }
  for (const auto& v : vols) state.config.config.volumes.insert(v);
  return {};
}

Result<void> applySingleWord(const Instruction& ins, char escape, StageState& state) {
  auto words = expandedWords(ins, escape, state);
  if (!words) return fail(std::move(words).error());
  if (words->size() != 1) return insError(ins, "takes exactly one value");
  const std::string& v = (*words)[0];
  if (ins.keyword == "USER") state.config.config.user = v;
  if (ins.keyword == "STOPSIGNAL") state.config.config.stopSignal = v;
  return {};
}

}  // namespace

Result<std::string> expandIn(const Instruction& ins, const std::string& raw, char escape,
                             const StageState& state) {
  return expandWith(ins, raw, escape, stageVars(state));
}

VarLookup stageVars(const StageState& state) {
  return [&state](const std::string& name) -> std::optional<std::string> {
    if (auto v = image::envLookup(state.config.config.env, name)) return v;
    if (auto it = state.args.find(name); it != state.args.end()) return it->second;
    return std::nullopt;
  };
}

std::vector<std::string> runEnvironment(const StageState& state) {
  std::vector<std::string> env = state.config.config.env;
  for (const auto& [k, v] : state.args) {
    if (!image::envLookup(env, k)) env.push_back(k + "=" + v);
  }
  if (!image::envLookup(env, "PATH")) {
    env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  return env;
}

std::vector<std::string> shellOf(const StageState& state) {
  if (!state.config.config.shell.empty()) return state.config.config.shell;
  return {"/bin/sh", "-c"};
}

std::string absoluteIn(const std::string& workingDir, const std::string& path) {
  if (path.starts_with("/")) return path;
  std::string base = workingDir.empty() ? "/" : workingDir;
  if (!base.ends_with("/")) base += "/";
  return base + path;
}

Result<bool> applyConfigInstruction(const Instruction& ins, char escape,
                                    const std::map<std::string, std::string>& buildArgs,
                                    StageState& state) {
  const std::string& k = ins.keyword;
  auto& c = state.config.config;
  if (k == "ARG")
    SPACELET_TRY(applyArg(ins, escape, buildArgs, state));
  else if (k == "ENV" || k == "LABEL")
    SPACELET_TRY(applyEnvOrLabel(ins, escape, state));
  else if (k == "MAINTAINER")
    c.labels["maintainer"] = ins.rest;
  else if (k == "USER" || k == "STOPSIGNAL")
    SPACELET_TRY(applySingleWord(ins, escape, state));
  else if (k == "EXPOSE")
    SPACELET_TRY(applyExpose(ins, escape, state));
  else if (k == "CMD")
    c.cmd = commandOf(ins, state);
  else if (k == "ENTRYPOINT") {
    c.entrypoint = commandOf(ins, state);
    c.cmd.clear();  // as Docker: a new ENTRYPOINT resets an inherited CMD
  } else if (k == "SHELL")
    c.shell = ins.execArgs;
  else if (k == "HEALTHCHECK")
    SPACELET_TRY(applyHealthcheck(ins, state));
  else if (k == "VOLUME")
    SPACELET_TRY(applyVolume(ins, escape, state));
  else if (k == "WORKDIR") {
    auto dir = expandIn(ins, ins.rest, escape, state);
    if (!dir) return fail(std::move(dir).error());
    c.workingDir = absoluteIn(c.workingDir, *dir);
    return false;  // the directory is also created in the filesystem
  } else
    return false;
  state.config.history.push_back({ins.text, true});
  return true;
}

}  // namespace spacelet::agent::build

namespace spacelet::agent::build {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The index of the stage a FROM or COPY --from refers to, if it is a stage (by name or number).
std::optional<size_t> stageRef(const BuildPlan& plan, const std::string& ref, size_t before) {
  for (size_t i = 0; i < before && i < plan.stages.size(); ++i) {
    if (plan.stages[i].name == lower(ref) || std::to_string(i) == ref) return i;
  }
  return std::nullopt;
}

Result<void> startStage(const Instruction& ins, char escape, BuildPlan& plan) {
  StageState globals;
  globals.args = plan.globalArgs;
  auto words = splitWords(ins.rest, escape);
  if (!words) return failInvalid(ins.where() + ": " + words.error().message);
  auto base = expandIn(ins, (*words)[0], escape, globals);
  if (!base) return fail(std::move(base).error());
  if (base->empty()) return failInvalid(ins.where() + ": the image name expands to nothing");
  StagePlan stage;
  stage.index = static_cast<int>(plan.stages.size());
  stage.name = words->size() == 3 ? lower((*words)[2]) : std::to_string(stage.index);
  stage.base = *base;
  stage.from = &ins;
  for (const auto& s : plan.stages) {
    if (s.name == stage.name)
      return failInvalid(ins.where() + ": stage name '" + stage.name + "' is used twice");
  }
  plan.stages.push_back(std::move(stage));
  return {};
}

void markNeeded(BuildPlan& plan, size_t index, std::vector<bool>& needed) {
  if (needed[index]) return;
  needed[index] = true;
  const StagePlan& s = plan.stages[index];
  if (auto dep = stageRef(plan, s.base, index)) markNeeded(plan, *dep, needed);
  for (const Instruction* ins : s.steps) {
    std::string from = ins->keyword == "COPY" ? ins->flag("from") : "";
    if (from.empty()) continue;
    if (auto dep = stageRef(plan, from, index)) markNeeded(plan, *dep, needed);
  }
}

}  // namespace

Result<BuildPlan> planStages(const Dockerfile& df,
                             const std::map<std::string, std::string>& buildArgs,
                             const std::string& target) {
  BuildPlan plan;
  for (const auto& ins : df.instructions) {
    if (ins.keyword == "FROM") {
      SPACELET_TRY(startStage(ins, df.escape, plan));
    } else if (plan.stages.empty()) {  // an ARG before the first FROM
      StageState globals;
      globals.args = plan.globalArgs;
      auto applied = applyConfigInstruction(ins, df.escape, buildArgs, globals);
      if (!applied) return fail(std::move(applied).error());
      plan.globalArgs = globals.args;
    } else {
      plan.stages.back().steps.push_back(&ins);
    }
  }
  plan.target = plan.stages.size() - 1;
  if (!target.empty()) {
    auto t = stageRef(plan, target, plan.stages.size());
    if (!t) return failInvalid("target stage '" + target + "' is not in the Dockerfile");
    plan.target = *t;
  }
  std::vector<bool> needed(plan.stages.size(), false);
  markNeeded(plan, plan.target, needed);
  for (size_t i = 0; i < needed.size(); ++i) {
    if (needed[i]) plan.needed.push_back(i);
  }
  return plan;
}

}  // namespace spacelet::agent::build
