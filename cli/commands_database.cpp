// Commands that look after the database file itself: `wfrun db check` lists every problem of the
// file and of wfrun's rows (exit 0 when there is none, 1 otherwise), `wfrun db backup FILE`
// copies it, consistent while processes run. Both open the file as it is (for reading, without
// the checks at open and without a catalog), so that they serve a damaged file too. main.cpp
// wires them in with add_database_commands.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/app.hpp"

namespace wfrun::cli {

namespace {

std::unique_ptr<store> open_as_is(const app& a) {
    try {
        return service::open_store_as_is(a.db);
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return nullptr;
    }
}

int cmd_db_check(const app& a, bool as_json) {
    auto s = open_as_is(a);
    if (!s) return exit_usage;
    auto problems = service::check_database(*s);
    if (as_json) {
        json list = json::array();
        for (const auto& p : problems) list.push_back({{"check", p.check}, {"message", p.message}});
        std::cout << json{{"database", a.db}, {"ok", problems.empty()}, {"problems", list}}.dump(2)
                  << '\n';
    } else if (problems.empty()) {
        std::cout << fmt::format("{}: ok\n", a.db);
    } else {
        for (const auto& p : problems) std::cout << fmt::format("{}: {}\n", p.check, p.message);
        std::cout << fmt::format("{}: {} problem{}\n", a.db, problems.size(),
                                 problems.size() == 1 ? "" : "s");
    }
    return problems.empty() ? exit_ok : exit_stopped;
}

int cmd_db_backup(const app& a, const std::string& file, bool force) {
    auto s = open_as_is(a);
    if (!s) return exit_usage;
    return reporting([&] {
        service::backup_database(*s, file, force);
        std::cout << fmt::format("backed up {} to {}\n", a.db, file);
        return exit_ok;
    });
}

}  // namespace

void add_database_commands(CLI::App& cli, app& a, int& rc) {
    struct options {
        bool json = false;
        std::string file;
        bool force = false;
    };
    auto opts = std::make_shared<options>();

    auto* db = cli.add_subcommand("db", "look after the database file: check it, back it up");
    db->require_subcommand(1);

    auto* check = db->add_subcommand(
        "check",
        "list every problem of the database (SQLite's integrity and foreign key checks, wfrun's "
        "own rules); exit 1 when there is one");
    check->add_flag("--json", opts->json, "print {\"database\", \"ok\", \"problems\"}");
    check->callback([&a, &rc, opts] { rc = cmd_db_check(a, opts->json); });

    auto* backup =
        db->add_subcommand("backup", "copy the database to FILE, consistent while processes run");
    backup->add_option("file", opts->file, "the copy to write")->required();
    backup->add_flag("--force", opts->force, "replace FILE when it exists");
    backup->callback([&a, &rc, opts] { rc = cmd_db_backup(a, opts->file, opts->force); });
}

}  // namespace wfrun::cli
