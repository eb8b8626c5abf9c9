// Service operations on the database itself: the check behind `wfrun db check` (the backend's
// own check of its files, then wfrun's invariants over one read snapshot) and the backup behind
// `wfrun db backup`. The invariants are written against the store interfaces and portable SQL on
// orchestrator-core's tables, so that every backend is checked by the same rules.
#include <fmt/format.h>

#include "interpreter/domain/domain.hpp"
#include "interpreter/service/service.hpp"

namespace wfrun::service {

namespace {

// The registry name of a step row: its key up to the arguments or the occurrence.
std::string_view step_name(const step_row& row) {
    std::string_view key = row.step_key;
    return key.substr(0, key.find_first_of("(#"));
}

// Whether the steps a process committed leave its subscription locked: the last of the steps
// that take the lock (unsync, unsync_unchecked, create_subscription, which creates it locked)
// and the one that releases it (resync) is one that takes it.
bool holds_lock(const std::vector<step_row>& steps) {
    bool locked = false;
    for (const step_row& row : steps) {
        if (row.status != step_status::success && row.status != step_status::complete) continue;
        std::string_view name = step_name(row);
        if (name == "unsync" || name == "unsync_unchecked" || name == "create_subscription") {
            locked = true;
        } else if (name == "resync") {
            locked = false;
        }
    }
    return locked;
}

void check_steps_have_processes(store& s, std::vector<database_problem>& out) {
    auto rows = s.sql().query(
        "SELECT pid, count(*) AS n FROM process_steps WHERE pid NOT IN (SELECT pid FROM "
        "processes) GROUP BY pid ORDER BY pid",
        {});
    for (const json& r : rows) {
        out.push_back(
            {"steps", fmt::format("{} step rows belong to process {}, which does not exist",
                                  r["n"].dump(), r["pid"].get<std::string>())});
    }
}

void check_locks(store& s, std::vector<database_problem>& out) {
    for (const process_row& p : s.processes({})) {
        if (!holds_subscription(p)) continue;
        auto linked = s.process_subscriptions(p.process_id);
        if (linked.empty() || !holds_lock(s.steps(p.process_id))) continue;
        for (const std::string& id : linked) {
            auto sub = s.subscription(id);
            if (!sub) {
                out.push_back({"subscriptions",
                               fmt::format("process {} ({}) is linked to subscription {}, which "
                                           "does not exist",
                                           p.process_id, to_string(p.last_status), id)});
            } else if (sub->insync) {
                out.push_back(
                    {"subscriptions",
                     fmt::format("subscription {} is in sync, but process {} ({}, {}) "
                                 "has locked it and not released it",
                                 id, p.process_id, p.workflow_name, to_string(p.last_status))});
            }
        }
    }
}

void check_json(store& s, const char* table, const char* id, const char* column,
                std::vector<database_problem>& out) {
    auto rows = s.sql().query(
        fmt::format("SELECT {} AS id, pid, {} AS value FROM {} ORDER BY {}", id, column, table, id),
        {});
    for (const json& r : rows) {
        const json& value = r["value"];
        std::string why;
        if (!value.is_string()) {
            why = "is not text";
        } else {
            const std::string& text = value.get_ref<const std::string&>();
            if (!json::accept(text)) {
                why = "it does not parse";
                try {
                    json parsed = json::parse(text);  // only for the parser's message
                } catch (const json::parse_error& e) {
                    why = e.what();
                }
            }
        }
        if (!why.empty()) {
            out.push_back(
                {"json", fmt::format("{}.{} of row {} (process {}) is not JSON: {}", table, column,
                                     r["id"].dump(), r["pid"].dump(), why)});
        }
    }
}

}  // namespace

std::vector<database_problem> check_database(store& s) {
    std::vector<database_problem> out;
    for (std::string& message : s.check_storage()) out.push_back({"storage", std::move(message)});
    // A file SQLite cannot read the rows of is not checked further: the checks would only repeat
    // what the storage check said.
    try {
        s.begin_snapshot();
        check_steps_have_processes(s, out);
        check_locks(s, out);
        check_json(s, "process_steps", "stepid", "state", out);
        check_json(s, "input_states", "input_state_id", "input_state", out);
        s.end_snapshot();
    } catch (const std::exception& e) {
        try {
            s.end_snapshot();
        } catch (...) {  // the first error is the one to report
        }
        out.push_back({"storage", fmt::format("the rows cannot be read: {}", e.what())});
    }
    return out;
}

void backup_database(store& s, const std::string& destination, bool overwrite) {
    try {
        s.backup(destination, overwrite);
    } catch (const damaged_store_error&) {
        throw;
    } catch (const store_error& e) {
        throw error(error_kind::invalid_input, e.what());
    }
}

}  // namespace wfrun::service
