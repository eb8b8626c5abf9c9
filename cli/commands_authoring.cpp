// Commands for people writing `.wf` files: `wfrun graph` draws a workflow's chain for Graphviz or
// Mermaid, `wfrun fmt` rewrites files in the canonical layout (`--check` only reports the files
// it would change). main.cpp wires them in with add_authoring_commands.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/app.hpp"
#include "grammar/format.hpp"
#include "interpreter/catalog/wf_files.hpp"
#include "interpreter/plan/graph.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun::cli {

namespace {

namespace fs = std::filesystem;

int cmd_graph(app& a, const std::string& workflow, const std::string& format_name) {
    if (!parse_graph_format(format_name)) {  // said before the catalog is loaded
        std::cerr << fmt::format("unknown format '{}': use dot or mermaid\n", format_name);
        return exit_usage;
    }
    if (!a.load_catalog()) return exit_usage;
    return reporting([&] {
        std::cout << service::workflow_graph(*a.cat, a.steps, workflow, format_name);
        return exit_ok;
    });
}

bool read_text(std::istream& in, std::string& out) {
    std::ostringstream text;
    text << in.rdbuf();
    out = text.str();
    return !in.bad();
}

// The `.wf` files under `paths` (files as given, folders searched recursively), sorted per folder.
std::vector<std::string> wf_files(const std::vector<std::string>& paths, bool& missing) {
    std::vector<std::string> out;
    for (const auto& path : paths) {
        std::error_code ec;
        if (path == "-" || fs::is_regular_file(path, ec)) {
            out.push_back(path);
        } else if (fs::is_directory(path, ec)) {
            auto found = wf_files_in(path);
            out.insert(out.end(), found.begin(), found.end());
        } else {
            std::cerr << fmt::format("{}:1:1: error[E002]: no such file or folder\n", path);
            missing = true;
        }
    }
    return out;
}

// Formats one file; 0 unchanged or rewritten, 1 syntax error or (with check) would change,
// 2 it could not be read or written.
int format_one(const std::string& path, bool check) {
    std::string source;
    if (path == "-") {
        read_text(std::cin, source);
    } else {
        std::ifstream in(path, std::ios::binary);
        if (!in || !read_text(in, source)) {
            std::cerr << fmt::format("{}:1:1: error[E002]: cannot read file\n", path);
            return exit_usage;
        }
    }
    auto result = format_source(path == "-" ? "<stdin>" : path, source);
    if (!result.ok()) {
        for (const auto& d : result.diagnostics) std::cerr << format_diagnostic(d) << '\n';
        return exit_stopped;
    }
    // A formatter that changed the meaning or is not stable must not touch the file.
    auto again = format_source(path, result.text);
    if (!again.ok() || again.text != result.text) {
        std::cerr << fmt::format(
            "{}: the formatter could not format this file stably; it was "
            "left unchanged\n",
            path);
        return exit_usage;
    }
    if (path == "-") {
        std::cout << result.text;
        return exit_ok;
    }
    if (result.text == source) return exit_ok;
    if (check) {
        std::cout << fmt::format("{}: not formatted\n", path);
        return exit_stopped;
    }
    auto tmp = path + ".fmt-tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << result.text;
        if (!out) {
            std::cerr << fmt::format("{}: cannot write\n", tmp);
            return exit_usage;
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        std::cerr << fmt::format("{}: cannot replace: {}\n", path, ec.message());
        fs::remove(tmp, ec);
        return exit_usage;
    }
    std::cout << fmt::format("{}: formatted\n", path);
    return exit_ok;
}

int cmd_fmt(app& a, const std::vector<std::string>& paths, bool check) {
    bool missing = false;
    auto files = wf_files(paths.empty() ? std::vector<std::string>{a.workflows} : paths, missing);
    int rc = missing ? exit_usage : exit_ok;
    for (const auto& f : files) rc = std::max(rc, format_one(f, check));
    return rc;
}

}  // namespace

void add_authoring_commands(CLI::App& cli, app& a, int& rc) {
    struct options {
        std::string workflow;
        std::string format = "dot";
        std::vector<std::string> paths;
        bool check = false;
    };
    auto opts = std::make_shared<options>();

    auto* graph = cli.add_subcommand("graph", "draw a workflow's steps for Graphviz or Mermaid");
    graph->add_option("workflow", opts->workflow, "workflow name")->required();
    graph->add_option("--format", opts->format, "dot or mermaid")->capture_default_str();
    graph->callback([&a, &rc, opts] { rc = cmd_graph(a, opts->workflow, opts->format); });

    auto* fmt_cmd = cli.add_subcommand("fmt", "rewrite .wf files in the canonical layout");
    fmt_cmd->add_option("paths", opts->paths,
                        "files or folders (default: the catalog); - for standard input");
    fmt_cmd->add_flag("--check", opts->check,
                      "change nothing; exit 1 when a file is not formatted");
    fmt_cmd->callback([&a, &rc, opts] { rc = cmd_fmt(a, opts->paths, opts->check); });
}

}  // namespace wfrun::cli
