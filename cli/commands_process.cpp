// Commands on processes: start (with the form protocol, interactively on a terminal), form,
// show, ps, abort, resume (input for a suspended process, a retry for a failed or waiting one,
// every due retry and expired wait with --due), and the engine's pause switch.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "interpreter/util.hpp"

namespace wfrun::cli {

namespace {

const workflow_plan* find_plan(app& a, const std::string& workflow) {
    if (const auto* p = a.cat->plan(workflow)) return p;
    std::vector<std::string> names;
    for (const auto& [name, plan] : a.cat->plans) names.push_back(name);
    auto best = closest_name(workflow, names);
    std::cerr << fmt::format("unknown workflow '{}'{}\n", workflow,
                             best.empty() ? "" : fmt::format("; did you mean '{}'?", best));
    return nullptr;
}

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

}  // namespace

int cmd_start(app& a, const start_args& args) {
    if (!a.open()) return exit_usage;
    const auto* plan = find_plan(a, args.workflow);
    if (!plan) return exit_usage;
    if (a.db_store->global_lock()) {
        std::cerr << engine_locked_message << '\n';
        return exit_usage;
    }
    bool interactive = args.interactive || (!args.input && stdin_is_terminal());
    json pages = args.input ? read_input(*args.input) : json::array();
    bool asked_last = false;  // the last page came from the prompt
    form_outcome outcome;
    for (;;) {
        outcome = a.eng->post_form(*plan, pages);
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
        std::cout << fmt::format("{} {}\n", bold("Running"), plan->def.name);
        observe = print_step;
    }
    process_row p;
    try {
        p = a.eng->start(*plan, outcome.state, observe);
    } catch (const refusal& e) {
        std::cerr << e.what() << '\n';
        return exit_usage;
    }
    if (args.json)
        std::cout << json{{"id", p.process_id}, {"status", p.last_status}}.dump() << '\n';
    else
        std::cout << fmt::format("Process {} {}\n", p.process_id, paint_status(p.last_status));
    return p.last_status == "completed" ? exit_ok : exit_stopped;
}

int cmd_form(app& a, const std::string& workflow, const std::optional<std::string>& input) {
    if (!a.open()) return exit_usage;
    const auto* plan = find_plan(a, workflow);
    if (!plan) return exit_usage;
    auto outcome = a.eng->post_form(*plan, input ? read_input(*input) : json::array());
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
}

int cmd_show(app& a, const std::string& pid, bool as_json) {
    if (!a.open()) return exit_usage;
    auto p = a.db_store->process(pid);
    if (!p) {
        std::cerr << fmt::format("no process {}\n", pid);
        return exit_usage;
    }
    auto j = process_json(*a.eng, *p, true);
    if (as_json) {
        std::cout << j.dump(2) << '\n';
        return exit_ok;
    }
    std::cout << fmt::format("{} {}\n", bold("Process"), p->process_id);
    std::cout << fmt::format("workflow  {} ({})\nstatus    {}\nstarted   {}\nmodified  {}\n",
                             p->workflow_name, p->workflow_target, paint_status(p->last_status),
                             p->started_at, p->last_modified_at);
    if (!p->failed_reason.empty()) std::cout << fmt::format("reason    {}\n", p->failed_reason);
    for (const auto& s : j["subscriptions"])
        std::cout << fmt::format("subscription {} ({})\n", s["subscription_id"].get<std::string>(),
                                 s["description"].get<std::string>());
    std::vector<std::vector<std::string>> rows{{"STATUS", "STEP", "COMPLETED", "CHANGED"}};
    for (const auto& s : j["steps"]) {
        std::string changed;
        if (s.contains("state_delta"))
            for (const auto& [k, v] : s["state_delta"].items())
                changed += (changed.empty() ? "" : ", ") + k;
        if (s["status"] == "failed" || s["status"] == "waiting")
            changed = s["state"].value("error", "");
        rows.push_back({paint_status(s["status"].get<std::string>()), s["name"].get<std::string>(),
                        s.value("completed", ""), changed});
    }
    print_table(rows);
    if (!j["form"].is_null())
        std::cout << fmt::format("{} (wfrun resume {} --input '[{{...}}]')\n{}\n",
                                 bold("Waiting for input"), p->process_id, j["form"].dump(2));
    return exit_ok;
}

int cmd_ps(app& a, const std::optional<std::string>& status,
           const std::optional<std::string>& workflow, bool as_json) {
    if (!a.open()) return exit_usage;
    process_filter f;
    f.status = status;
    f.workflow = workflow;
    auto rows = a.db_store->processes(f);
    if (as_json) {
        json out = json::array();
        for (const auto& p : rows) out.push_back(process_json(*a.eng, p, false));
        std::cout << out.dump(2) << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> table{
        {"PROCESS", "WORKFLOW", "STATUS", "LAST STEP", "STARTED"}};
    for (const auto& p : rows)
        table.push_back({p.process_id, p.workflow_name,
                         a.eng->orphaned(p) ? paint_status(p.last_status) + " (orphaned)"
                                            : paint_status(p.last_status),
                         p.last_step, p.started_at});
    print_table(table);
    return exit_ok;
}

int cmd_abort(app& a, const std::string& pid, bool as_json) {
    if (!a.open()) return exit_usage;
    auto p = a.db_store->process(pid);
    if (!p) {
        std::cerr << fmt::format("no process {}\n", pid);
        return exit_usage;
    }
    process_row out;
    try {
        out = a.eng->abort(*p);
    } catch (const refusal& e) {
        std::cerr << e.what() << '\n';
        return exit_usage;
    }
    if (as_json)
        std::cout << json{{"id", out.process_id}, {"status", out.last_status}}.dump() << '\n';
    else
        std::cout << fmt::format("Process {} {}\n", out.process_id, paint_status(out.last_status));
    return exit_ok;
}

namespace {

int resume_due(app& a, bool as_json) {
    std::vector<due_action> done;
    try {
        done = a.eng->resume_due(as_json ? step_observer{} : step_observer{print_step});
    } catch (const refusal& e) {
        std::cerr << e.what() << '\n';
        return exit_usage;
    }
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
    auto p = a.db_store->process(args.pid);
    if (!p) {
        std::cerr << fmt::format("no process {}\n", args.pid);
        return exit_usage;
    }
    bool interactive = args.interactive || (!args.input && stdin_is_terminal());
    json pages = args.input ? read_input(*args.input) : json::array();
    bool asked = false;
    step_observer observe;
    if (!args.json) observe = print_step;
    for (;;) {
        if (p->last_status == "suspended" && interactive && pages.empty() &&
            !a.db_store->global_lock()) {
            if (auto page = a.eng->waiting_form(*p)) {
                auto answer = ask_page(*page);
                if (!answer) {
                    std::cout << "Cancelled: nothing was changed.\n";
                    return exit_ok;
                }
                pages = json::array({std::move(*answer)});
                asked = true;
            }
        }
        resume_outcome outcome;
        try {
            if (!args.json && (p->last_status == "failed" || p->last_status == "waiting" ||
                               p->last_status == "running"))
                std::cout << fmt::format("{} {} ({})\n", bold("Resuming"), p->workflow_name,
                                         p->last_status);
            outcome = a.eng->resume(args.pid, pages, observe);
        } catch (const refusal& e) {
            std::cerr << e.what() << '\n';
            return exit_usage;
        } catch (const form_error& e) {
            std::cerr << e.what() << '\n';
            return exit_usage;
        }
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
            std::cout << json{{"id", out.process_id}, {"status", out.last_status}}.dump() << '\n';
        else
            std::cout << fmt::format("Process {} {}\n", out.process_id,
                                     paint_status(out.last_status));
        return out.last_status == "completed" ? exit_ok : exit_stopped;
    }
}

int cmd_engine(app& a, const std::string& action, bool as_json) {
    if (!a.open()) return exit_usage;
    std::vector<process_row> continued;
    if (action == "pause") {
        a.eng->pause();
    } else if (action == "resume") {
        continued = a.eng->unpause(as_json ? step_observer{} : step_observer{print_step});
    }
    auto status = a.eng->status();
    process_filter running;
    running.status = "running";
    std::size_t active = 0;
    for (const auto& p : a.db_store->processes(running))
        if (!a.eng->orphaned(p)) ++active;
    if (as_json) {
        json ids = json::array();
        for (const auto& p : continued)
            ids.push_back({{"id", p.process_id}, {"status", p.last_status}});
        std::cout << json{{"global_lock", status != engine_status::running},
                          {"global_status", std::string(to_string(status))},
                          {"running_processes", active},
                          {"continued", ids}}
                         .dump(2)
                  << '\n';
        return exit_ok;
    }
    for (const auto& p : continued)
        std::cout << fmt::format("Process {} {}\n", p.process_id, paint_status(p.last_status));
    std::cout << fmt::format("Engine {}\n", to_string(status));
    return exit_ok;
}

}  // namespace wfrun::cli
