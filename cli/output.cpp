// Printing for people (aligned tables, colour on a terminal) and for scripts (the JSON shapes
// of orchestrator-core's REST API).
#include "cli/output.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

namespace wfrun::cli {

bool stdout_is_terminal() {
    return isatty(STDOUT_FILENO) != 0;
}
bool stdin_is_terminal() {
    return isatty(STDIN_FILENO) != 0;
}
bool stderr_is_terminal() {
    return isatty(STDERR_FILENO) != 0;
}

namespace {

bool use_colour() {
    static const bool colour = stdout_is_terminal() && !std::getenv("NO_COLOR");
    return colour;
}

std::string paint(const std::string& text, const char* code) {
    return use_colour() ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
}

// Display width of UTF-8 text: code points, not bytes.
std::size_t width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xc0) != 0x80) ++n;
    return n;
}

}  // namespace

std::string paint_status(std::string_view text) {
    const std::string status(text);
    if (status == "success" || status == "completed" || status == "complete" || status == "active")
        return paint(status, "32");
    if (status == "failed" || status == "aborted" || status == "abort") return paint(status, "31");
    if (status == "waiting" || status == "suspended" || status == "suspend" || status == "running")
        return paint(status, "33");
    if (status == "skipped" || status == "pending" || status == "terminated")
        return paint(status, "2");
    return status;
}

std::string bold(const std::string& text) {
    return paint(text, "1");
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], width(r[i]));
        }
    for (std::size_t n = 0; n < rows.size(); ++n) {
        std::string line;
        for (std::size_t i = 0; i < rows[n].size(); ++i) {
            const auto& cell = rows[n][i];
            std::string shown = n == 0 ? bold(cell) : cell;
            line += shown;
            if (i + 1 < rows[n].size()) line += std::string(widths[i] - width(cell) + 2, ' ');
        }
        std::cout << line << '\n';
    }
}

json state_delta(const json& before, const json& now) {
    json delta = json::object();
    if (!now.is_object()) return delta;
    for (const auto& [key, value] : now.items()) {
        auto it = before.is_object() ? before.find(key) : before.end();
        if (before.is_object() && it != before.end()) {
            if (*it == value) continue;
            if (it->is_object() && value.is_object()) {
                delta[key] = state_delta(*it, value);
                continue;
            }
        }
        delta[key] = value;
    }
    return delta;
}

json subscription_row_json(const subscription_row& s) {
    auto opt = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
    return {{"subscription_id", s.subscription_id},
            {"description", s.description},
            {"status", s.status},
            {"insync", s.insync},
            {"customer_id", s.customer_id},
            {"start_date", opt(s.start_date)},
            {"end_date", opt(s.end_date)},
            {"note", opt(s.note)},
            {"version", s.version},
            {"product", product_json(s.product)}};
}

json product_json(const product_row& p) {
    return {{"product_id", p.product_id},     {"name", p.name}, {"description", p.description},
            {"product_type", p.product_type}, {"tag", p.tag},   {"status", p.status}};
}

json process_json(engine& eng, const process_row& p, bool with_steps) {
    auto empty_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
    json out = {{"process_id", p.process_id},
                {"workflow_name", p.workflow_name},
                {"workflow_target", p.target},
                {"last_status", p.last_status},
                {"last_step", empty_null(p.last_step)},
                {"started_at", p.started_at},
                {"last_modified_at", p.last_modified_at},
                {"failed_reason", empty_null(p.failed_reason)},
                {"created_by", p.created_by},
                {"assignee", p.assignee},
                {"is_task", p.is_task},
                {"orphaned", eng.orphaned(p)}};
    if (!with_steps) return out;

    auto& st = eng.storage();
    json steps = json::array();
    const json* previous = nullptr;  // the last success/skipped/complete state
    auto rows = st.steps(p.process_id);
    for (const auto& r : rows) {
        bool cleared = is_cleared(r.status);
        json delta =
            cleared ? state_delta(previous ? *previous : json::object(), r.state) : json::object();
        steps.push_back({{"step_id", r.step_id},
                         {"name", r.name},
                         {"status", r.status},
                         {"created_by", r.created_by},
                         {"started", r.started_at},
                         {"completed", r.completed_at},
                         {"executed", r.completed_at},
                         {"state", r.state},
                         {"state_delta", std::move(delta)}});
        if (cleared) previous = &r.state;
    }
    auto recovered = eng.recover(p);
    if (const auto* plan = eng.plan_of(p)) {
        bool ended = is_ended(p.last_status);
        std::size_t from = recovered.next;
        // A suspended input step is logged as `suspend` and still pending after it.
        for (std::size_t i = ended ? plan->steps.size() : from; i < plan->steps.size(); ++i)
            if (!(p.last_status == process_status::suspended && i == from))
                steps.push_back({{"name", plan->steps[i].display}, {"status", "pending"}});
    }
    out["steps"] = std::move(steps);
    out["current_state"] = std::move(recovered.state);
    out["form"] = nullptr;
    try {
        if (auto page = eng.waiting_form(p)) out["form"] = page_schema(*page);
    } catch (const form_error&) {  // the form no longer fits the state: shown without it
    }
    json subs = json::array();
    for (const auto& id : st.process_subscriptions(p.process_id))
        if (auto s = st.subscription(id)) subs.push_back(subscription_row_json(*s));
    out["subscriptions"] = std::move(subs);
    return out;
}

void print_step(const step_row& row) {
    const std::string status(to_string(row.status));
    std::string padded = status + std::string(status.size() < 9 ? 9 - status.size() : 0, ' ');
    std::cout << "  " << paint_status(status) << padded.substr(status.size()) << " " << row.name;
    if (row.status == step_status::failed || row.status == step_status::waiting)
        if (row.state.is_object() && row.state.contains("error"))
            std::cout << ": " << row.state["error"].get<std::string>();
    std::cout << std::endl;
}

void print_field_errors(const std::vector<field_error>& errors) {
    for (const auto& e : errors) std::cerr << fmt::format("{}: {}\n", e.field, e.message);
}

}  // namespace wfrun::cli
