// The closed sets of the domain as enums: a process's status, a step row's status and a
// workflow's target. Each has one to_string (the text orchestrator-core stores and shows) and one
// parser; everything else compares enums, never text.
#pragma once

#include <optional>
#include <ostream>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wfrun {

// processes.last_status
enum class process_status {
    created,
    running,
    suspended,
    waiting,
    failed,
    aborted,
    completed,
    resumed
};

// process_steps.status
enum class step_status { success, skipped, suspend, waiting, failed, abort, complete };

// workflows.target
enum class workflow_target { create, modify, terminate, validate, system };

std::string_view to_string(process_status s);
std::string_view to_string(step_status s);
std::string_view to_string(workflow_target t);  // CREATE MODIFY TERMINATE VALIDATE SYSTEM

// The enum whose text is `text`; nullopt for anything else.
std::optional<process_status> parse_process_status(std::string_view text);
std::optional<step_status> parse_step_status(std::string_view text);
std::optional<workflow_target> parse_workflow_target(std::string_view text);

// A process that can run no further: completed or aborted.
constexpr bool is_ended(process_status s) {
    return s == process_status::completed || s == process_status::aborted;
}

// A step row after which the process moves on (or ended normally): success, skipped, complete,
// abort. Its state is a good state to continue from.
constexpr bool is_cleared(step_status s) {
    return s == step_status::success || s == step_status::skipped || s == step_status::complete ||
           s == step_status::abort;
}

// The status of a process after a step row of this status: complete -> completed, abort ->
// aborted, suspend -> suspended, waiting -> waiting, failed -> failed, otherwise running.
process_status process_status_after(step_status s);

// Workflows on an existing subscription ask for it on an implicit first page.
constexpr bool takes_subscription(workflow_target t) {
    return t == workflow_target::modify || t == workflow_target::terminate ||
           t == workflow_target::validate;
}

// The enum whose text is `text`; throws std::invalid_argument naming the text otherwise.
process_status process_status_of(std::string_view text);
step_status step_status_of(std::string_view text);
workflow_target workflow_target_of(std::string_view text);

// In JSON, the same text (nlohmann_json finds these by argument-dependent lookup, for json and
// ordered_json alike; more specialised than its own enum-as-number conversion).
template <typename Json>
void to_json(Json& j, process_status s) {
    j = to_string(s);
}
template <typename Json>
void to_json(Json& j, step_status s) {
    j = to_string(s);
}
template <typename Json>
void to_json(Json& j, workflow_target t) {
    j = to_string(t);
}
template <typename Json>
void from_json(const Json& j, process_status& s) {
    s = process_status_of(j.template get_ref<const std::string&>());
}
template <typename Json>
void from_json(const Json& j, step_status& s) {
    s = step_status_of(j.template get_ref<const std::string&>());
}
template <typename Json>
void from_json(const Json& j, workflow_target& t) {
    t = workflow_target_of(j.template get_ref<const std::string&>());
}

inline std::ostream& operator<<(std::ostream& os, process_status s) {
    return os << to_string(s);
}
inline std::ostream& operator<<(std::ostream& os, step_status s) {
    return os << to_string(s);
}
inline std::ostream& operator<<(std::ostream& os, workflow_target t) {
    return os << to_string(t);
}

}  // namespace wfrun

// fmt::format("{}", status) writes the same text.
template <>
struct fmt::formatter<wfrun::process_status> : fmt::formatter<std::string_view> {
    auto format(wfrun::process_status s, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(wfrun::to_string(s), ctx);
    }
};
template <>
struct fmt::formatter<wfrun::step_status> : fmt::formatter<std::string_view> {
    auto format(wfrun::step_status s, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(wfrun::to_string(s), ctx);
    }
};
template <>
struct fmt::formatter<wfrun::workflow_target> : fmt::formatter<std::string_view> {
    auto format(wfrun::workflow_target t, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(wfrun::to_string(t), ctx);
    }
};
