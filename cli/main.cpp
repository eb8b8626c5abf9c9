// wfrun's command line as a library call (wfrun::run_cli, <wfrun/cli.hpp>): start, inspect and
// manage processes and subscriptions of a `.wf` catalog on an embedded SQLite store.
// Subcommands follow the verbs of orchestrator-core's REST API. The stock program is
// cli/wfrun_main.cpp; a project with its own steps writes its own few-line main().
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <wfrun/cli.hpp>

#include "cli/catalog_path.hpp"
#include "cli/commands.hpp"
#include "interpreter/util/json_input.hpp"
#include "stdlib/builtin_steps.hpp"

namespace wfrun::cli {

json read_input(const std::string& text) {
    if (text != "-") return parse_json_input(text, "--input");
    const std::string all{std::istreambuf_iterator<char>(std::cin), {}};
    return parse_json_input(all, "--input");
}

bool app::load_catalog() {
    if (cat) return true;
    cat = wfrun::load_catalog({workflows}, steps);
    for (const auto& d : cat->diagnostics) std::cerr << format_diagnostic(d) << '\n';
    if (!cat->ok()) {
        std::cerr << fmt::format("the catalog in {} does not load\n", workflows);
        return false;
    }
    return true;
}

bool app::open(access how) {
    if (runtime) return true;
    service::runtime_options options;
    options.read_only = how == access::read;
    options.database = db;
    options.catalog_paths = {workflows};
    options.synchronous_full = !synchronous_normal;
    options.on_catalog = [](const catalog& c) {
        for (const auto& d : c.diagnostics) std::cerr << format_diagnostic(d) << '\n';
    };
    if (const char* user = std::getenv("USER")) options.engine.reporter = user;
    // A bad WFRUN_FAULT is reported after the catalog and the store had their say.
    std::optional<std::string> bad_faults;
    if (const char* faults = std::getenv("WFRUN_FAULT")) {
        try {
            options.engine.faults = parse_faults(faults);
        } catch (const std::exception& e) {
            bad_faults = e.what();
        }
    }
    try {
        runtime = std::make_unique<service::runtime>(steps, std::move(options));
    } catch (const damaged_store_error& e) {
        std::cerr << e.what() << '\n' << damaged_advice << '\n';
        return false;
    } catch (const std::exception& e) {  // catalog_error, store_error
        std::cerr << e.what() << '\n';
        return false;
    }
    if (bad_faults) {
        runtime.reset();
        std::cerr << "WFRUN_FAULT: " << *bad_faults << '\n';
        return false;
    }
    return true;
}

void add_authoring_commands(CLI::App& cli, app& a, int& rc);
void add_database_commands(CLI::App& cli, app& a, int& rc);

}  // namespace wfrun::cli

int wfrun::run_cli(int argc, char** argv, const step_registration& register_steps) {
    using namespace wfrun::cli;
    app a;
    try {
        wfrun::register_stdlib(a.steps);
        if (register_steps) register_steps(a.steps);
    } catch (const std::exception& e) {
        std::cerr << "error: registering steps: " << e.what() << '\n';
        return exit_usage;
    }

    CLI::App cli{"wfrun: run orchestrator-style workflows written in .wf files"};
    cli.require_subcommand(1);
    if (const char* db = std::getenv("WFRUN_DB")) a.db = db;
    a.workflows = default_workflows();
    if (const char* wf = std::getenv("WFRUN_WORKFLOWS")) a.workflows = wf;
    cli.add_option("--db", a.db, "SQLite database file (WFRUN_DB)")->capture_default_str();
    cli.add_option("--workflows", a.workflows, "folder of .wf files (WFRUN_WORKFLOWS)")
        ->capture_default_str();
    cli.add_flag(
        "--synchronous-normal", a.synchronous_normal,
        "commit with synchronous=NORMAL: faster, the last steps may be lost on power loss");

    int rc = exit_ok;
    bool json = false;

    start_args start;
    auto* start_cmd = cli.add_subcommand("start", "start a process");
    start_cmd->add_option("workflow", start.workflow, "workflow name")->required();
    auto* input_opt = start_cmd->add_option("--input", start.input,
                                            "form pages as a JSON list, or - for standard input");
    start_cmd->add_flag("--json", start.json,
                        "print {\"id\", \"status\"}; with --batch, the summary as one JSON object");
    auto* interactive_opt = start_cmd->add_flag("--interactive", start.interactive,
                                                "ask for the form's pages on standard input");
    auto* batch_opt = start_cmd->add_option(
        "--batch", start.batch,
        "start one process per line of FILE (JSON Lines, - for standard input), each line the "
        "pages --input takes; prints a summary of statuses, exit 1 when any did not complete");
    batch_opt->type_name("FILE")->excludes(input_opt)->excludes(interactive_opt);
    auto* no_group_opt = start_cmd->add_flag(
        "--no-group-commit", start.no_group_commit,
        "with --batch: commit every step on its own and report each process as it ends "
        "(slower; by default the steps of up to --group-size processes share one commit)");
    no_group_opt->needs(batch_opt);
    start_cmd
        ->add_option("--group-size", start.group_size,
                     "with --batch: processes per commit; a crash loses at most the uncommitted "
                     "group, never a reported process")
        ->type_name("N")
        ->capture_default_str()
        ->check(CLI::PositiveNumber)
        ->needs(batch_opt)
        ->excludes(no_group_opt);
    start_cmd
        ->add_option(
            "--group-window", start.group_window_ms,
            "with --batch: commit a group after this many milliseconds even when it is not full")
        ->type_name("MS")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber)
        ->needs(batch_opt)
        ->excludes(no_group_opt);
    start_cmd->callback([&] { rc = cmd_start(a, start); });

    std::string workflow;
    std::optional<std::string> input;
    auto* form_cmd =
        cli.add_subcommand("form", "the JSON schema of the next form page for these inputs");
    form_cmd->add_option("workflow", workflow, "workflow name")->required();
    form_cmd->add_option("--input", input, "form pages so far, as a JSON list, or -");
    form_cmd->callback([&] { rc = cmd_form(a, workflow, input); });

    std::string id;
    auto* show_cmd = cli.add_subcommand("show", "one process: its steps, state and changes");
    show_cmd->add_option("pid", id, "process id")->required();
    show_cmd->add_flag("--json", json, "print the process as JSON");
    show_cmd->callback([&] { rc = cmd_show(a, id, json); });

    std::optional<std::string> status, type;
    auto* ps_cmd = cli.add_subcommand("ps", "list processes");
    ps_cmd->add_option("--status", status, "only processes with this status");
    ps_cmd->add_option("--workflow", input, "only processes of this workflow");
    ps_cmd->add_flag("--json", json, "print JSON");
    ps_cmd->callback([&] { rc = cmd_ps(a, status, input, json); });

    auto* abort_cmd = cli.add_subcommand("abort", "abort a process");
    abort_cmd->add_option("pid", id, "process id")->required();
    abort_cmd->add_flag("--json", json, "print {\"id\", \"status\"}");
    abort_cmd->callback([&] { rc = cmd_abort(a, id, json); });

    resume_args resume;
    auto* resume_cmd = cli.add_subcommand(
        "resume",
        "resume a suspended process with its form's input, or retry a failed/waiting one");
    resume_cmd->add_option("pid", resume.pid, "process id");
    resume_cmd->add_option("--input", resume.input,
                           "the input form's page as JSON ([{...}] or {...}), or -");
    resume_cmd->add_flag(
        "--due", resume.due,
        "retry every waiting process whose next attempt is due and time out expired waits");
    resume_cmd->add_flag("--json", resume.json, "print JSON");
    resume_cmd->add_flag("--interactive", resume.interactive,
                         "ask for the input on standard input");
    resume_cmd->callback([&] { rc = cmd_resume(a, resume); });

    std::string engine_action;
    auto* engine_cmd =
        cli.add_subcommand("engine", "pause or resume the engine, or show its status");
    engine_cmd->add_option("action", engine_action, "pause, resume or status")
        ->required()
        ->check(CLI::IsMember({"pause", "resume", "status"}));
    engine_cmd->add_flag("--json", json, "print JSON");
    engine_cmd->callback([&] { rc = cmd_engine(a, engine_action, json); });

    auto* products_cmd = cli.add_subcommand("products", "list products");
    products_cmd->add_flag("--json", json, "print JSON");
    products_cmd->callback([&] { rc = cmd_products(a, json); });

    std::vector<std::string> paths;
    auto* lint_cmd = cli.add_subcommand("lint", "check .wf files and print every problem");
    lint_cmd->add_option("paths", paths, "files or folders (default: the catalog)");
    lint_cmd->add_flag("--json", json, "print the diagnostics as JSON");
    lint_cmd->callback([&] { rc = cmd_lint(a, paths, json); });

    auto* subs_cmd = cli.add_subcommand("subscriptions", "list subscriptions");
    subs_cmd->add_option("--type", type, "product type, e.g. UserGroup");
    subs_cmd->add_option("--status", status, "lifecycle, e.g. active");
    subs_cmd->add_flag("--json", json, "print JSON");
    subs_cmd->callback([&] { rc = cmd_subscriptions(a, type, status, json); });

    auto* sub_cmd = cli.add_subcommand("subscription", "one subscription as its domain model");
    sub_cmd->add_option("id", id, "subscription id")->required();
    sub_cmd->add_flag("--json", json, "print JSON");
    sub_cmd->callback([&] { rc = cmd_subscription(a, id, json); });

    auto* wfs_cmd =
        cli.add_subcommand("workflows", "which workflows may start on a subscription now");
    wfs_cmd->add_option("id", id, "subscription id")->required();
    wfs_cmd->add_flag("--json", json, "print JSON");
    wfs_cmd->callback([&] { rc = cmd_workflows(a, id, json); });

    auto* sync_cmd =
        cli.add_subcommand("set-in-sync", "unlock a subscription no live process holds");
    sync_cmd->add_option("id", id, "subscription id")->required();
    sync_cmd->callback([&] { rc = cmd_set_in_sync(a, id); });

    add_authoring_commands(cli, a, rc);
    add_database_commands(cli, a, rc);

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = cli.exit(e);
        return code == 0 ? 0 : exit_usage;
    } catch (const wfrun::json::exception& e) {
        std::cerr << "invalid JSON: " << e.what() << '\n';
        return exit_usage;
    } catch (const wfrun::damaged_store_error& e) {
        std::cerr << e.what() << '\n' << damaged_advice << '\n';
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return exit_usage;
    }
    return rc;
}
