// Commands on processes: start (with the form protocol, interactively on a terminal, or one
// process per line of a JSON Lines file with --batch), form, show, ps, abort, resume (input for
// a suspended process, a retry for a failed or waiting one, every due retry and expired wait
// with --due), and the engine's pause switch.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace wfrun::cli {

namespace {

bool ask_line(const std::string& prompt, std::string& line) {
    std::cout << prompt << std::flush;
    if (!std::getline(std::cin, line)) {
        std::cout << '\n';
        return false;
    }
    return true;
}

std::string shown(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// A typed answer: numbers for integer fields, true/false for booleans, text otherwise; the
// page's validation has the last word.
json typed(const form_field& f, const std::string& text) {
    using k = form_field::kind;
    if (f.k == k::integer && !text.empty() &&
        text.find_first_not_of("-0123456789") == std::string::npos)
        return std::stoll(text);
    if (f.k == k::boolean && (text == "y" || text == "yes" || text == "true")) return true;
    if (f.k == k::boolean && (text == "n" || text == "no" || text == "false")) return false;
    return text;
}

// Asks for the fields of one page; nullopt when the user cancels or input ends.
std::optional<json> ask_page(const form_page& page) {
    using k = form_field::kind;
    json values = json::object();
    if (page.title != "unknown") std::cout << bold(page.title) << '\n';
    std::string line;
    for (const auto& f : page.fields) {
        if (f.k == k::label) {
            if (f.default_value && !f.default_value->is_null())
                std::cout << shown(*f.default_value) << '\n';
            continue;
        }
        if (f.k == k::divider) {
            std::cout << "----------------------------------------\n";
            continue;
        }
        if (f.readonly) {
            std::cout << fmt::format("{}: {} (read-only)\n", f.title,
                                     f.default_value ? shown(*f.default_value) : "");
            continue;
        }
        bool is_list = f.k == k::list;
        bool choosing = f.k == k::choice || (is_list && f.item_kind == k::choice);
        std::string suffix = f.default_value && !f.default_value->is_null()
                                 ? fmt::format(" [{}]", shown(*f.default_value))
                             : f.optional ? " (optional)"
                                          : "";
        if (choosing) {
            std::cout << f.title << ":\n";
            if (f.choices.empty()) std::cout << "  (nothing to choose from)\n";
            for (std::size_t i = 0; i < f.choices.size(); ++i)
                std::cout << fmt::format("  {}) {}\n", i + 1, f.choices[i].label);
            if (!ask_line(fmt::format("Choose 1-{}{}: ", f.choices.size(), suffix), line))
                return std::nullopt;
            if (line.empty())
                continue;  // the default, or the page's validation says what is missing
            json picked = json::array();
            std::size_t pos = 0;
            while (pos < line.size()) {
                auto comma = line.find(',', pos);
                auto part =
                    line.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
                pos = comma == std::string::npos ? line.size() : comma + 1;
                try {
                    auto n = std::stoul(part);
                    picked.push_back(n >= 1 && n <= f.choices.size() ? json(f.choices[n - 1].value)
                                                                     : json(part));
                } catch (const std::exception&) {
                    picked.push_back(part);
                }
            }
            values[f.name] = is_list ? picked : picked.front();
            continue;
        }
        if (!ask_line(fmt::format("{}{}: ", f.title, suffix), line)) return std::nullopt;
        if (line.empty()) {
            if (f.optional && !f.default_value) values[f.name] = nullptr;
            continue;
        }
        values[f.name] = is_list ? json::array({line}) : typed(f, line);
    }
    if (!ask_line(page.has_next ? "Next or Cancel? [N/c]: " : "Submit or Cancel? [S/c]: ", line))
        return std::nullopt;
    if (line == "c" || line == "C" || line == "cancel" || line == "Cancel") return std::nullopt;
    return values;
}

void print_form(const form_outcome& o) {
    std::cout << json{{"form", o.form}, {"meta", o.meta}}.dump(2) << '\n';
}

// --- start --batch ---

bool blank(const std::string& line) {
    return line.find_first_not_of(" \t\r") == std::string::npos;
}

// 1234567 -> "1,234,567"
std::string grouped(std::size_t n) {
    auto digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// Statuses in the order people look for them: completed first, the others by name.
std::vector<std::pair<std::string, std::size_t>> ordered(const batch_summary& s) {
    std::vector<std::pair<std::string, std::size_t>> out;
    const std::string completed(to_string(process_status::completed));
    if (s.completed() > 0) out.emplace_back(completed, s.completed());
    for (const auto& [status, n] : s.by_status)
        if (status != completed) out.emplace_back(status, n);
    return out;
}

// The line on standard error that shows how far a batch got, redrawn after a commit (lines
// arrive in bursts, a whole group at a time) but at most ten times a second.
class batch_progress {
  public:
    // `total` is 0 when the input could not be counted beforehand (standard input, a pipe).
    explicit batch_progress(std::size_t total) : total_(total) {}

    void update(const batch_summary& so_far) {
        if (clock::now() - drawn_ < std::chrono::milliseconds(100)) return;
        draw(so_far);
    }

    // The final state stays on screen, with the overall rate.
    void finish(const batch_summary& so_far) {
        draw(so_far);
        std::cerr << '\n';
    }

  private:
    using clock = std::chrono::steady_clock;

    void draw(const batch_summary& s) {
        constexpr std::size_t width = 20;
        std::string line;
        if (total_ > 0) {
            auto filled = std::min(width, s.items * width / total_);
            line = fmt::format("[{}{}] {}/{} processes", std::string(filled, '#'),
                               std::string(width - filled, '.'), grouped(s.items), grouped(total_));
        } else {
            line = fmt::format("{} processes", grouped(s.items));
        }
        line += fmt::format("  completed {}", grouped(s.completed()));
        for (const auto& [status, n] : ordered(s))
            if (status != to_string(process_status::completed))
                line += fmt::format("  {} {}", status, grouped(n));
        std::chrono::duration<double> elapsed = clock::now() - started_;
        if (s.items > 0 && elapsed.count() > 0)
            line += fmt::format(
                "  {}/s",
                grouped(static_cast<std::size_t>(std::llround(s.items / elapsed.count()))));
        std::cerr << '\r' << line << "\x1b[K" << std::flush;  // erase what a longer line left
        drawn_ = clock::now();
    }

    std::size_t total_;
    clock::time_point started_ = clock::now();
    clock::time_point drawn_{};
};

void print_batch_summary(const batch_summary& s, const std::vector<batch_item>& not_completed) {
    std::string counts;
    for (const auto& [status, n] : ordered(s))
        counts += fmt::format("{}{} {}", counts.empty() ? ": " : ", ", n, paint_status(status));
    std::cout << fmt::format("{} {}{}\n", s.items, s.items == 1 ? "process" : "processes", counts);
    for (const auto& item : not_completed)
        std::cout << fmt::format(
            "line {}: {}: {}{}\n", item.line, paint_status(item.status), item.message,
            item.process_id.empty() ? "" : fmt::format(" (process {})", item.process_id));
}

json batch_summary_json(const batch_summary& s, const std::vector<batch_item>& not_completed) {
    json items = json::array();
    for (const auto& item : not_completed)
        items.push_back(
            {{"line", item.line},
             {"status", item.status},
             {"process_id", item.process_id.empty() ? json(nullptr) : json(item.process_id)},
             {"message", item.message}});
    return {{"total", s.items}, {"by_status", s.by_status}, {"not_completed", std::move(items)}};
}

// Non-blank lines of a regular file, for the progress bar's total; 0 for anything else (a
// pipe cannot be read twice). Leaves `in` at the start.
std::size_t count_lines(const std::string& path, std::ifstream& in) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return 0;
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);)
        if (!blank(line)) ++n;
    in.clear();
    in.seekg(0);
    return n;
}

int start_batch(app& a, const workflow_plan& plan, const start_args& args) {
    const std::string& path = *args.batch;
    std::ifstream file;
    if (path != "-") {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            std::cerr << fmt::format("cannot read {}: it is a folder\n", path);
            return exit_usage;
        }
        file.open(path);
        if (!file) {
            std::cerr << fmt::format("cannot read {}: {}\n", path, std::strerror(errno));
            return exit_usage;
        }
    }
    std::istream& input = path == "-" ? std::cin : file;

    std::optional<batch_progress> progress;
    if (stderr_is_terminal()) {
        progress.emplace(path == "-" ? 0 : count_lines(path, file));
        progress->update({});  // before the first commit, which may take a while
    }

    batch_options options;
    options.group_commit = !args.no_group_commit;
    options.group_size = args.group_size;
    options.group_window = std::chrono::milliseconds(args.group_window_ms);

    // Kept here rather than taken from run_batch's result, so that a batch the store stops
    // half-way still reports every line that was committed.
    batch_summary so_far;
    std::vector<batch_item> not_completed;
    std::size_t last_line = 0;
    auto observe = [&](const batch_item& item) {
        last_line = item.line;
        ++so_far.items;
        ++so_far.by_status[item.status];
        if (!item.is_completed()) not_completed.push_back(item);
    };
    auto committed = [&] {
        if (progress) progress->update(so_far);
    };
    std::optional<std::string> stopped;
    try {
        service::start_batch(*a.runtime, plan, input, options, observe, committed);
        if (input.bad()) stopped = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    } catch (const std::exception& e) {
        stopped = e.what();
    }
    if (progress) progress->finish(so_far);

    if (args.json) {
        auto out = batch_summary_json(so_far, not_completed);
        if (stopped) out["error"] = *stopped;
        std::cout << out.dump(2) << '\n';
    } else {
        print_batch_summary(so_far, not_completed);
    }
    if (stopped) {
        std::cerr << fmt::format("the batch stopped: {}\nnothing after line {} was kept\n",
                                 *stopped, last_line);
        return exit_stopped;
    }
    return so_far.all_completed() ? exit_ok : exit_stopped;
}

}  // namespace

int cmd_start(app& a, const start_args& args) {
    if (!a.open()) return exit_usage;
    return reporting([&] {
        auto& rt = *a.runtime;
        const auto& plan = service::find_workflow(rt, args.workflow);
        service::require_unlocked(rt);
        if (args.batch) return start_batch(a, plan, args);
        bool interactive = args.interactive || (!args.input && stdin_is_terminal());
        json pages = args.input ? read_input(*args.input) : json::array();
        bool asked_last = false;  // the last page came from the prompt
        form_outcome outcome;
        for (;;) {
            outcome = service::post_form(rt, args.workflow, pages);
            if (outcome.k == form_outcome::kind::complete) break;
            if (outcome.k == form_outcome::kind::refused) {
                std::cerr << outcome.message << '\n';
                return exit_usage;
            }
            if (outcome.k == form_outcome::kind::invalid) {
                print_field_errors(outcome.errors);
                if (interactive && asked_last) {
                    pages.erase(pages.size() - 1);
                    asked_last = false;
                    continue;
                }
                if (args.json) std::cout << validation_errors_json(outcome.errors).dump(2) << '\n';
                return exit_usage;
            }
            if (!interactive) {
                print_form(outcome);
                return exit_form;
            }
            auto answer = ask_page(*outcome.page);
            if (!answer) {
                std::cout << "Cancelled: nothing was started.\n";
                return exit_ok;
            }
            pages.push_back(std::move(*answer));
            asked_last = true;
        }

        step_observer observe;
        if (!args.json) {
            std::cout << fmt::format("{} {}\n", bold("Running"), plan.def.name);
            observe = print_step;
        }
        auto p = service::start_process(rt, plan, outcome.state, observe);
        if (args.json)
            std::cout << json{{"id", p.process_id}, {"status", p.last_status}}.dump() << '\n';
        else
            std::cout << fmt::format("Process {} {}\n", p.process_id, paint_status(p.last_status));
        return p.last_status == process_status::completed ? exit_ok : exit_stopped;
    });
}

int cmd_form(app& a, const std::string& workflow, const std::optional<std::string>& input) {
    if (!a.open(access::read)) return exit_usage;
    return reporting([&] {
        auto outcome =
            service::post_form(*a.runtime, workflow, input ? read_input(*input) : json::array());
        switch (outcome.k) {
            case form_outcome::kind::not_complete:
                print_form(outcome);
                return exit_form;
            case form_outcome::kind::invalid:
                print_field_errors(outcome.errors);
                std::cout << validation_errors_json(outcome.errors).dump(2) << '\n';
                return exit_usage;
            case form_outcome::kind::refused:
                std::cerr << outcome.message << '\n';
                return exit_usage;
            case form_outcome::kind::complete:
                break;
        }
        std::cout << json{{"form", nullptr}, {"state", outcome.state}}.dump(2) << '\n';
        return exit_ok;
    });
}

int cmd_show(app& a, const std::string& pid, bool as_json) {
    if (!a.open(access::read)) return exit_usage;
    return reporting([&] {
        auto [p, j] = service::show_process(*a.runtime, pid);
        if (as_json) {
            std::cout << j.dump(2) << '\n';
            return exit_ok;
        }
        std::cout << fmt::format("{} {}\n", bold("Process"), p.process_id);
        std::cout << fmt::format("workflow  {} ({})\nstatus    {}\nstarted   {}\nmodified  {}\n",
                                 p.workflow_name, to_string(p.target), paint_status(p.last_status),
                                 p.started_at, p.last_modified_at);
        if (!p.failed_reason.empty()) std::cout << fmt::format("reason    {}\n", p.failed_reason);
        for (const auto& s : j["subscriptions"])
            std::cout << fmt::format("subscription {} ({})\n",
                                     s["subscription_id"].get<std::string>(),
                                     s["description"].get<std::string>());
        std::vector<std::vector<std::string>> rows{{"STATUS", "STEP", "COMPLETED", "CHANGED"}};
        for (const auto& s : j["steps"]) {
            std::string changed;
            if (s.contains("state_delta"))
                for (const auto& [k, v] : s["state_delta"].items())
                    changed += (changed.empty() ? "" : ", ") + k;
            if (auto st = parse_step_status(s["status"].get<std::string>());
                st == step_status::failed || st == step_status::waiting)
                changed = s["state"].value("error", "");
            rows.push_back({paint_status(s["status"].get<std::string>()),
                            s["name"].get<std::string>(), s.value("completed", ""), changed});
        }
        print_table(rows);
        if (!j["form"].is_null())
            std::cout << fmt::format("{} (wfrun resume {} --input '[{{...}}]')\n{}\n",
                                     bold("Waiting for input"), p.process_id, j["form"].dump(2));
        return exit_ok;
    });
}

int cmd_ps(app& a, const std::optional<std::string>& status,
           const std::optional<std::string>& workflow, bool as_json) {
    if (!a.open(access::read)) return exit_usage;
    process_filter f;
    if (status) {
        f.status = parse_process_status(*status);
        if (!f.status) {
            std::cerr << fmt::format(
                "unknown status '{}': one of created, running, suspended, waiting, failed, "
                "aborted, completed, resumed\n",
                *status);
            return exit_usage;
        }
    }
    f.workflow = workflow;
    auto rows = service::list_processes(*a.runtime, f);
    if (as_json) {
        std::cout << rows.dump(2) << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> table{
        {"PROCESS", "WORKFLOW", "STATUS", "LAST STEP", "STARTED"}};
    for (const auto& p : rows) {
        auto status_shown = paint_status(p["last_status"].get<std::string>());
        if (p["orphaned"].get<bool>()) status_shown += " (orphaned)";
        table.push_back({p["process_id"], p["workflow_name"], status_shown,
                         p["last_step"].is_null() ? "" : p["last_step"].get<std::string>(),
                         p["started_at"]});
    }
    print_table(table);
    return exit_ok;
}

int cmd_abort(app& a, const std::string& pid, bool as_json) {
    if (!a.open()) return exit_usage;
    return reporting([&] {
        auto out = service::abort(*a.runtime, pid);
        if (as_json)
            std::cout << json{{"id", out.process_id}, {"status", out.last_status}}.dump() << '\n';
        else
            std::cout << fmt::format("Process {} {}\n", out.process_id,
                                     paint_status(out.last_status));
        return exit_ok;
    });
}

namespace {

int resume_due(app& a, bool as_json) {
    auto done =
        service::resume_due(*a.runtime, as_json ? step_observer{} : step_observer{print_step});
    if (as_json) {
        json out = json::array();
        for (const auto& d : done)
            out.push_back({{"id", d.process_id},
                           {"workflow_name", d.workflow_name},
                           {"action", d.action},
                           {"status", d.status}});
        std::cout << out.dump(2) << '\n';
        return exit_ok;
    }
    for (const auto& d : done)
        std::cout << fmt::format("Process {} {}: {}, now {}\n", d.process_id, d.workflow_name,
                                 d.action, paint_status(d.status));
    if (done.empty()) std::cout << "Nothing is due.\n";
    return exit_ok;
}

}  // namespace

int cmd_resume(app& a, const resume_args& args) {
    if (!a.open()) return exit_usage;
    return reporting([&] {
        auto& rt = *a.runtime;
        if (args.due) {
            if (!args.pid.empty()) {
                std::cerr << "resume: give either PID or --due\n";
                return exit_usage;
            }
            return resume_due(a, args.json);
        }
        if (args.pid.empty()) {
            std::cerr << "resume: a process id (or --due) is required\n";
            return exit_usage;
        }
        auto p = service::find_process(rt, args.pid);
        bool interactive = args.interactive || (!args.input && stdin_is_terminal());
        json pages = args.input ? read_input(*args.input) : json::array();
        bool asked = false;
        step_observer observe;
        if (!args.json) observe = print_step;
        for (;;) {
            if (p.last_status == process_status::suspended && interactive && pages.empty() &&
                !service::engine_locked(rt)) {
                if (auto page = service::waiting_form(rt, p)) {
                    auto answer = ask_page(*page);
                    if (!answer) {
                        std::cout << "Cancelled: nothing was changed.\n";
                        return exit_ok;
                    }
                    pages = json::array({std::move(*answer)});
                    asked = true;
                }
            }
            if (!args.json && (p.last_status == process_status::failed ||
                               p.last_status == process_status::waiting ||
                               p.last_status == process_status::running))
                std::cout << fmt::format("{} {} ({})\n", bold("Resuming"), p.workflow_name,
                                         p.last_status);
            auto outcome = service::resume(rt, args.pid, pages, observe);
            if (outcome.k == resume_outcome::kind::not_complete) {
                std::cout << json{{"form", outcome.form}, {"meta", outcome.meta}}.dump(2) << '\n';
                return exit_form;
            }
            if (outcome.k == resume_outcome::kind::invalid) {
                print_field_errors(outcome.errors);
                if (interactive && asked) {
                    pages = json::array();
                    asked = false;
                    continue;
                }
                if (args.json) std::cout << validation_errors_json(outcome.errors).dump(2) << '\n';
                return exit_usage;
            }
            const auto& out = outcome.process;
            if (args.json)
                std::cout << json{{"id", out.process_id}, {"status", out.last_status}}.dump()
                          << '\n';
            else
                std::cout << fmt::format("Process {} {}\n", out.process_id,
                                         paint_status(out.last_status));
            return out.last_status == process_status::completed ? exit_ok : exit_stopped;
        }
    });
}

int cmd_engine(app& a, const std::string& action, bool as_json) {
    if (!a.open(action == "status" ? access::read : access::write)) return exit_usage;
    auto& rt = *a.runtime;
    std::vector<process_row> continued;
    if (action == "pause") {
        service::pause_engine(rt);
    } else if (action == "resume") {
        continued =
            service::resume_engine(rt, as_json ? step_observer{} : step_observer{print_step});
    }
    auto status = service::engine_status(rt);
    if (as_json) {
        json ids = json::array();
        for (const auto& p : continued)
            ids.push_back({{"id", p.process_id}, {"status", p.last_status}});
        status["continued"] = std::move(ids);
        std::cout << status.dump(2) << '\n';
        return exit_ok;
    }
    for (const auto& p : continued)
        std::cout << fmt::format("Process {} {}\n", p.process_id, paint_status(p.last_status));
    std::cout << fmt::format("Engine {}\n", status["global_status"].get<std::string>());
    return exit_ok;
}

}  // namespace wfrun::cli
