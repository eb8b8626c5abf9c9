// Embedding wfrun: the whole command line in one call, for a program that adds its own C++
// steps. Such a program is a few lines:
//
//     #include <wfrun/cli.hpp>
//
//     void register_my_steps(wfrun::registry& r);  // r.add({...}, [](wfrun::step_context&) {...})
//
//     int main(int argc, char** argv) { return wfrun::run_cli(argc, argv, register_my_steps); }
//
// and gets every command of the stock `wfrun` (start, resume, show, ps, lint, ...) with the
// builtin steps and its own. The stock `wfrun` is this call with the tutorial's steps.
//
// This header and <wfrun/step.hpp> are the whole public API: they need only the standard
// library and nlohmann_json. Link the CMake target `wfrun::wfrun` (find_package(wfrun CONFIG))
// or `pkg-config --cflags --libs wfrun`.
#pragma once

#include <functional>

#include <wfrun/step.hpp>

namespace wfrun {

// A function that adds a program's own steps (and the tables they keep) to the registry.
using step_registration = std::function<void(registry&)>;

// Runs the wfrun command line on `argv` and returns the exit code for main(): 0 done; 1 a
// process stopped without completing, or lint found errors; 2 bad usage or input, a refused
// start, a catalog that does not load, or a step registration that throws; 3 a form that is
// not complete. The builtin steps are always registered; `register_steps` (when set) adds the
// program's own before the catalog is loaded, so the linter checks the catalog against both.
//
// The catalog is `--workflows DIR`, else WFRUN_WORKFLOWS, else `workflows/` in the current
// folder when it exists, else the catalog installed with wfrun (share/wfrun/workflows).
// Errors are printed on standard error; nothing is thrown.
int run_cli(int argc, char** argv, const step_registration& register_steps = {});

}  // namespace wfrun
