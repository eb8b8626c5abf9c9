// Service operations on processes and on the engine: the start protocol, start, resume, abort,
// show and list, and the engine's pause switch. The engine's refusals become service errors
// of the kind a front end reports them as.
#include <map>

#include <fmt/format.h>

#include "interpreter/service/service.hpp"
#include "interpreter/util/json_input.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun::service {

std::string_view to_string(error_kind k) {
    switch (k) {
        case error_kind::not_found:
            return "not found";
        case error_kind::conflict:
            return "conflict";
        case error_kind::precondition_failed:
            return "precondition failed";
        case error_kind::invalid_input:
            return "invalid input";
        case error_kind::engine_locked:
            return "engine locked";
    }
    return "?";
}

namespace {

// The kind of an engine refusal: the engine lock and an unknown process have their own kinds,
// everything else is `otherwise`.
[[noreturn]] void rethrow(const refusal& e, error_kind otherwise) {
    std::string message = e.what();
    if (message == engine_locked_message) throw error(error_kind::engine_locked, message);
    if (message.rfind("no process ", 0) == 0) throw error(error_kind::not_found, message);
    throw error(otherwise, message);
}

// Pages a front end parsed itself are held to the nesting bound that `--input` is parsed with
// (util/json_input.hpp) before the engine copies or compares them.
void check_pages_depth(const json& pages) {
    try {
        check_json_depth(pages, "form pages");
    } catch (const std::invalid_argument& e) {
        throw error(error_kind::invalid_input, e.what());
    }
}

}  // namespace

const workflow_plan& find_workflow(runtime& rt, const std::string& workflow) {
    const auto& cat = rt.catalog_ref();
    if (const auto* p = cat.plan(workflow)) return *p;
    throw unknown_workflow(cat, workflow);
}

bool engine_locked(runtime& rt) {
    return rt.storage().global_lock();
}

void require_unlocked(runtime& rt) {
    if (engine_locked(rt)) throw error(error_kind::engine_locked, engine_locked_message);
}

form_outcome post_form(runtime& rt, const std::string& workflow, const json& pages) {
    check_pages_depth(pages);
    return rt.engine_ref().post_form(find_workflow(rt, workflow), pages);
}

process_row start_process(runtime& rt, const workflow_plan& plan, const json& form_state,
                          const step_observer& observe) {
    try {
        return rt.engine_ref().start(plan, form_state, observe);
    } catch (const refusal& e) {
        rethrow(e, error_kind::precondition_failed);
    }
}

start_result start(runtime& rt, const std::string& workflow, const json& pages,
                   const step_observer& observe) {
    const auto& plan = find_workflow(rt, workflow);
    require_unlocked(rt);
    start_result out;
    out.form = rt.engine_ref().post_form(plan, pages);
    if (out.form.k == form_outcome::kind::refused)
        throw error(error_kind::precondition_failed, out.form.message);
    if (out.form.k == form_outcome::kind::complete)
        out.process = start_process(rt, plan, out.form.state, observe);
    return out;
}

batch_summary start_batch(runtime& rt, const workflow_plan& plan, std::istream& input,
                          const batch_options& options, const batch_observer& observe,
                          const batch_commit_observer& committed) {
    return run_batch(rt.engine_ref(), plan, input, options, observe, committed);
}

process_row find_process(runtime& rt, const std::string& process_id) {
    auto p = rt.storage().process(process_id);
    if (!p) throw error(error_kind::not_found, fmt::format("no process {}", process_id));
    return std::move(*p);
}

process_view show_process(runtime& rt, const std::string& process_id) {
    process_view out;
    out.row = find_process(rt, process_id);
    out.body = process_json(rt.engine_ref(), out.row, true);
    return out;
}

json list_processes(runtime& rt, const process_filter& filter) {
    json out = json::array();
    for (const auto& p : rt.storage().processes(filter))
        out.push_back(process_json(rt.engine_ref(), p, false));
    return out;
}

json status_counts(runtime& rt) {
    std::map<std::string, std::size_t> processes, tasks;
    for (const auto& p : rt.storage().processes({}))
        ++(p.is_task ? tasks : processes)[std::string(to_string(p.last_status))];
    return {{"process_counts", processes}, {"task_counts", tasks}};
}

std::optional<form_page> waiting_form(runtime& rt, const process_row& p) {
    return rt.engine_ref().waiting_form(p);
}

resume_outcome resume(runtime& rt, const std::string& process_id, const json& pages,
                      const step_observer& observe) {
    check_pages_depth(pages);
    try {
        return rt.engine_ref().resume(process_id, pages, observe);
    } catch (const refusal& e) {
        rethrow(e, error_kind::conflict);
    } catch (const form_error& e) {
        throw error(error_kind::invalid_input, e.what());
    }
}

std::vector<due_action> resume_due(runtime& rt, const step_observer& observe) {
    try {
        return rt.engine_ref().resume_due(observe);
    } catch (const refusal& e) {
        rethrow(e, error_kind::conflict);
    }
}

process_row abort(runtime& rt, const std::string& process_id) {
    auto p = find_process(rt, process_id);
    try {
        return rt.engine_ref().abort(std::move(p));
    } catch (const refusal& e) {
        rethrow(e, error_kind::conflict);
    }
}

json engine_status(runtime& rt) {
    auto& eng = rt.engine_ref();
    auto status = eng.status();
    process_filter running;
    running.status = process_status::running;
    std::size_t active = 0;
    for (const auto& p : rt.storage().processes(running))
        if (!eng.orphaned(p)) ++active;
    return {{"global_lock", status != engine_status::running},
            {"global_status", std::string(to_string(status))},
            {"running_processes", active}};
}

void pause_engine(runtime& rt) {
    rt.engine_ref().pause();
}

std::vector<process_row> resume_engine(runtime& rt, const step_observer& observe) {
    return rt.engine_ref().unpause(observe);
}

}  // namespace wfrun::service
