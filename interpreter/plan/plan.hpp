// A plan: a workflow compiled into what the engine runs, owning everything it needs and
// pointing into no syntax tree: the flat list of steps (named chains expanded, each with its
// registry entry, bound arguments, the conditions of the `if`s around it and its retry and
// timeout policy), the compiled form of each input step and of the initial form's pages, and
// a hash of the step identities that a process records.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wfrun/step.hpp>

#include "grammar/numbers.hpp"
#include "interpreter/domain/model.hpp"
#include "interpreter/forms/forms.hpp"

namespace wfrun {

// The ranges of retry(...) and timeout(...), which the linter checks (E119, docs/lint-codes.md)
// before anything runs: attempts from 1 to 1000, a backoff factor from 1 to 100, delays and
// timeouts from 0s to max_duration_ms (365 days).
inline constexpr std::int64_t max_retry_attempts = 1000;
inline constexpr std::int64_t max_retry_backoff = 100;

// What happens after a retry step's last attempt, or when a wait times out.
struct retry_policy {
    int attempts = 3;
    std::int64_t delay_ms = 1000;
    std::int64_t backoff = 2;
    std::int64_t max_delay_ms = 3600 * 1000;
    std::string then = "fail";  // fail | abort

    // The wait after failed attempt `attempt` (1 for the first): delay * backoff^(attempt - 1),
    // at most max_delay and at most max_duration_ms. Saturates instead of overflowing, whatever
    // the policy holds.
    std::int64_t wait_after(int attempt) const;
};

// `if [not] path [(== | !=) literal]`, compiled: the step it guards runs when holds(state).
struct step_condition {
    enum class test { truthy, equals, differs };
    bool negated = false;
    std::string path;
    test t = test::truthy;
    std::optional<json> operand;  // equals/differs: the literal (nullopt: equals nothing)

    bool holds(const json& state) const;
};

// One step a process runs, with everything the engine needs resolved.
struct planned_step {
    enum class kind { step, input };
    kind k = kind::step;
    std::string name;                   // as written in the chain: `set_status`
    std::string key;                    // stable identity: name, arguments and occurrence
    std::string display;                // the step row's name: `Set subscription to 'terminated'`
    const step_entry* entry = nullptr;  // the registry entry (step)
    std::shared_ptr<const form_template> form;  // the form (input)
    json args = json::object();                 // parameter name -> value
    // The enclosing `if`s, outermost first; the steps of one block share them.
    std::vector<std::shared_ptr<const step_condition>> conditions;
    std::optional<retry_policy> retry;
    std::optional<std::int64_t> timeout_ms;

    bool runs(const json& state) const {
        for (const auto& c : conditions)
            if (!c->holds(state)) return false;
        return true;
    }
};

struct workflow_plan {
    workflow_def def;
    std::vector<std::shared_ptr<const form_template>> forms;  // the initial form's pages
    std::vector<planned_step> steps;
    std::string definition;  // hash of the step identities; recorded on each process
};

}  // namespace wfrun
