// Bulk starts with group commit (batch.hpp).
#include "interpreter/engine/batch.hpp"

#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "interpreter/util/json_input.hpp"

namespace wfrun {

namespace {

using clock_type = std::chrono::steady_clock;

std::string field_errors_text(const std::vector<field_error>& errors) {
    std::string out;
    for (const auto& e : errors)
        out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", e.field, e.message);
    return out;
}

// One line: validate its pages, start the process and run it until it stops. A store failure
// is thrown: what it left depends on whether a group is open (run_batch).
batch_item run_line(engine& eng, const workflow_plan& plan, std::size_t number,
                    const std::string& line) {
    batch_item item;
    item.line = number;
    json pages;
    try {
        pages = parse_json_input(line, fmt::format("line {}", number));
    } catch (const json::parse_error& e) {
        item.status = "invalid";
        item.message = fmt::format("invalid JSON: {}", e.what());
        return item;
    } catch (const std::invalid_argument& e) {  // nested too deep
        item.status = "invalid";
        item.message = e.what();
        return item;
    }
    if (pages.is_object()) pages = json::array({std::move(pages)});
    try {
        auto outcome = eng.post_form(plan, pages);
        switch (outcome.k) {
            case form_outcome::kind::invalid:
                item.status = "invalid";
                item.message = field_errors_text(outcome.errors);
                return item;
            case form_outcome::kind::not_complete:
                item.status = "incomplete";
                item.message = fmt::format("the form needs another page: {}",
                                           outcome.form.value("title", std::string("unknown")));
                return item;
            case form_outcome::kind::refused:
                item.status = "refused";
                item.message = outcome.message;
                return item;
            case form_outcome::kind::complete:
                break;
        }
        auto p = eng.start(plan, outcome.state);
        item.process_id = p.process_id;
        item.status = to_string(p.last_status);
        if (p.last_status != process_status::completed)
            item.message = p.failed_reason.empty() ? fmt::format("stopped at '{}'", p.last_step)
                                                   : p.failed_reason;
    } catch (const refusal& e) {
        item.status = "refused";
        item.message = e.what();
    }
    return item;
}

}  // namespace

batch_summary run_batch(engine& eng, const workflow_plan& plan, std::istream& input,
                        const batch_options& options, const batch_observer& observe,
                        const batch_commit_observer& committed) {
    store& st = eng.storage();
    batch_summary summary;
    std::vector<batch_item> pending;  // run in the open group, not yet durable
    auto report = [&](const batch_item& item) {
        ++summary.items;
        ++summary.by_status[item.status];
        if (observe) observe(item);
    };
    auto flush = [&] {
        if (st.in_group()) st.commit_group();
        for (const auto& item : pending) report(item);
        if (committed && !pending.empty()) committed();
        pending.clear();
    };
    clock_type::time_point opened{};
    std::string line;
    std::size_t number = 0;
    try {
        while (std::getline(input, line)) {
            ++number;
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            if (options.group_commit && !st.in_group()) {
                st.begin_group();
                opened = clock_type::now();
            }
            batch_item item;
            try {
                item = run_line(eng, plan, number, line);
            } catch (const damaged_store_error&) {
                throw;  // nothing more is written into a damaged file
            } catch (const std::exception& e) {
                // Some failures (a full disk, an I/O error) make SQLite undo the whole
                // transaction behind the group's savepoints, so no process of the open group
                // may be reported; the batch stops and the group is rolled back below.
                if (options.group_commit) throw;
                item.line = number;
                item.status = "error";
                item.message = e.what();
            }
            if (!options.group_commit) {
                report(item);
                if (committed) committed();
                continue;
            }
            pending.push_back(std::move(item));
            if (pending.size() >= options.group_size ||
                clock_type::now() - opened >= options.group_window)
                flush();
        }
        flush();
    } catch (...) {
        st.rollback_group();  // nothing of the open group was reported
        throw;
    }
    return summary;
}

}  // namespace wfrun
