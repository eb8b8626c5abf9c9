// Text forms of the domain's enums (status.hpp), as orchestrator-core stores them.
#include "interpreter/domain/status.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

namespace wfrun {

namespace {

template <typename E, std::size_t N>
using names = std::array<std::pair<E, std::string_view>, N>;

constexpr names<process_status, 8> process_names{{{process_status::created, "created"},
                                                  {process_status::running, "running"},
                                                  {process_status::suspended, "suspended"},
                                                  {process_status::waiting, "waiting"},
                                                  {process_status::failed, "failed"},
                                                  {process_status::aborted, "aborted"},
                                                  {process_status::completed, "completed"},
                                                  {process_status::resumed, "resumed"}}};

constexpr names<step_status, 7> step_names{{{step_status::success, "success"},
                                            {step_status::skipped, "skipped"},
                                            {step_status::suspend, "suspend"},
                                            {step_status::waiting, "waiting"},
                                            {step_status::failed, "failed"},
                                            {step_status::abort, "abort"},
                                            {step_status::complete, "complete"}}};

constexpr names<workflow_target, 5> target_names{{{workflow_target::create, "CREATE"},
                                                  {workflow_target::modify, "MODIFY"},
                                                  {workflow_target::terminate, "TERMINATE"},
                                                  {workflow_target::validate, "VALIDATE"},
                                                  {workflow_target::system, "SYSTEM"}}};

template <typename E, std::size_t N>
std::string_view name_of(const names<E, N>& table, E value) {
    for (const auto& [e, text] : table)
        if (e == value) return text;
    return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> parse(const names<E, N>& table, std::string_view text) {
    for (const auto& [e, name] : table)
        if (name == text) return e;
    return std::nullopt;
}

template <typename E, std::size_t N>
E from_text(const names<E, N>& table, std::string_view text, std::string_view what) {
    if (auto e = parse(table, text)) return *e;
    throw std::invalid_argument(fmt::format("'{}' is not a {}", text, what));
}

}  // namespace

process_status process_status_of(std::string_view text) {
    return from_text(process_names, text, "process status");
}
step_status step_status_of(std::string_view text) {
    return from_text(step_names, text, "step status");
}
workflow_target workflow_target_of(std::string_view text) {
    return from_text(target_names, text, "workflow target");
}

std::string_view to_string(process_status s) {
    return name_of(process_names, s);
}
std::string_view to_string(step_status s) {
    return name_of(step_names, s);
}
std::string_view to_string(workflow_target t) {
    return name_of(target_names, t);
}

std::optional<process_status> parse_process_status(std::string_view text) {
    return parse(process_names, text);
}
std::optional<step_status> parse_step_status(std::string_view text) {
    return parse(step_names, text);
}
std::optional<workflow_target> parse_workflow_target(std::string_view text) {
    return parse(target_names, text);
}

process_status process_status_after(step_status s) {
    switch (s) {
        case step_status::complete:
            return process_status::completed;
        case step_status::abort:
            return process_status::aborted;
        case step_status::suspend:
            return process_status::suspended;
        case step_status::waiting:
            return process_status::waiting;
        case step_status::failed:
            return process_status::failed;
        case step_status::success:
        case step_status::skipped:
            break;
    }
    return process_status::running;
}

}  // namespace wfrun
