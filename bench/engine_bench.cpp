// The engine benchmark: how many durable steps wfrun completes per second on the
// terminate_user_group shape, next to the floor (the same rows, in the same tables, written by a
// bare loop of prepared statements in the same transactions), an in-memory store,
// synchronous=FULL with and without group commit, and the peers' figures. It prints a table and,
// last, one JSON object with every figure of the run. bench/run.sh runs it with the peers and the
// linter benchmark.
//
//   wfrun_engine_bench [--n N] [--peers FILE] [--rss-large N] [--only FIGURE]
//
// --peers FILE reads the lines `../shared/bench/peers/run` prints (peer=... executions_per_s=...)
// and adds the ratios. Peak resident memory is measured in child processes running 1,000 and
// --rss-large (default 100,000) create_user_group processes one after another (--rss N is that
// child's mode). --only durable|floor|memory|full|group runs one figure, for profiling.
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "interpreter/engine/batch.hpp"
#include "interpreter/catalog/catalog.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/store/sqlite/sqlite_store.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

using namespace wfrun;
namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct setup {
    registry steps;
    std::unique_ptr<catalog> cat;
    std::unique_ptr<sqlite_store> db;
    std::unique_ptr<engine> eng;
    std::string group_product;

    setup(const std::string& path, bool full) {
        register_stdlib(steps);
        tutorial::register_steps(steps);
        cat = load_catalog({WFRUN_SOURCE_DIR "/workflows"}, steps);
        if (!cat->ok()) throw std::runtime_error("the tutorial catalog does not load");
        sqlite_options o;
        o.synchronous_full = full;
        db = std::make_unique<sqlite_store>(path, o);
        db->run_schema(steps.schemas());
        db->sync_catalog(cat->model);
        eng = std::make_unique<engine>(*db, *cat, steps);
        for (const auto& p : db->products())
            if (p.name == "User Group") group_product = p.product_id;
    }

    process_row run(const std::string& workflow, const json& pages) {
        const auto* plan = cat->plan(workflow);
        auto outcome = eng->post_form(*plan, pages);
        if (outcome.k != form_outcome::kind::complete)
            throw std::runtime_error(fmt::format("{}: the form is not complete: {}", workflow, outcome.message));
        return eng->start(*plan, outcome.state);
    }

    std::string create_group(std::size_t i) {
        auto p = run("create_user_group",
                     json::array({{{"product", group_product}}, {{"group_name", fmt::format("Group {}", i)}}}));
        return db->process_subscriptions(p.process_id).at(0);
    }
};

struct figure {
    double executions_per_s = 0;
    double steps_per_s = 0;
    std::vector<std::size_t> state_bytes;  // each step row's state size, for the floor
    std::size_t initial_bytes = 0;         // the initial input state's size
};

// N terminate_user_group processes on N existing groups; with `group` > 0, started as a batch
// (interpreter/engine/batch.hpp) with group commit of that many processes.
figure durable(const std::string& path, bool full, std::size_t n, std::size_t group = 0) {
    std::vector<std::string> groups;
    bool memory = path == ":memory:";
    if (!memory) {  // the groups are made with synchronous=NORMAL: only the terminates are timed
        setup made(path, false);
        for (std::size_t i = 0; i < n; ++i) groups.push_back(made.create_group(i));
    }
    setup s(path, full);
    if (memory)
        for (std::size_t i = 0; i < n; ++i) groups.push_back(s.create_group(i));
    std::size_t completed = 0;
    std::string last_pid;
    auto t0 = clock_type::now();
    if (group > 0) {
        std::stringstream lines;
        for (const auto& g : groups)
            lines << json::array({{{"subscription_id", g}}, json::object()}).dump() << '\n';
        batch_options o;
        o.group_size = group;
        o.group_window = std::chrono::milliseconds(1000);
        auto summary = run_batch(*s.eng, *s.cat->plan("terminate_user_group"), lines, o,
                                 [&](const batch_item& item) { last_pid = item.process_id; });
        completed = summary.completed();
    } else {
        for (const auto& g : groups) {
            auto p = s.run("terminate_user_group", json::array({{{"subscription_id", g}}, json::object()}));
            completed += p.last_status == process_status::completed;
            last_pid = p.process_id;
        }
    }
    double secs = seconds_since(t0);
    if (completed != n) throw std::runtime_error(fmt::format("{} of {} terminates completed", completed, n));
    figure f;
    f.executions_per_s = static_cast<double>(n) / secs;
    f.steps_per_s = f.executions_per_s * 7;
    for (const auto& row : s.db->steps(last_pid)) f.state_bytes.push_back(row.state.dump().size());
    if (auto input = s.db->last_input_state(last_pid)) f.initial_bytes = input->dump().size();
    return f;
}

// The floor: the rows a terminate writes, in the same tables of the same schema, by a bare loop
// of prepared statements in the same transactions. First the start (process row, initial input
// state, link to the subscription), then per step the step row (a state of the size the engine
// wrote), the process row, and what the step itself changes: unsync and resync the subscription's
// insync flag, deprovision the provisioned_groups row, set_status the status and end date.
figure floor_loop(const std::string& path, bool full, std::size_t n, const figure& like) {
    std::vector<std::string> subs;
    {
        setup s(path, full);
        for (std::size_t i = 0; i < n; ++i) subs.push_back(s.create_group(i));
    }
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    auto exec = [&](const char* sql) { sqlite3_exec(db, sql, nullptr, nullptr, nullptr); };
    exec("PRAGMA journal_mode=WAL");
    exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    auto prepare = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
            throw std::runtime_error(sqlite3_errmsg(db));
        return st;
    };
    auto* begin = prepare("BEGIN IMMEDIATE");
    auto* commit = prepare("COMMIT");
    auto* ins_proc = prepare(
        "INSERT INTO processes (pid, workflow_id, workflow_name, workflow_target, last_status, last_step, "
        "started_at, last_modified_at, failed_reason, traceback, created_by, assignee, is_task, definition, "
        "owner, heartbeat_at) VALUES (?1, NULL, 'terminate_user_group', 'TERMINATE', 'running', NULL, ?2, ?2, "
        "NULL, NULL, 'wfrun', 'SYSTEM', 0, 'definition', 'host:1', ?2)");
    auto* ins_input = prepare(
        "INSERT INTO input_states (input_state_id, pid, input_state, input_time, input_type) "
        "VALUES (?1, ?2, ?3, ?4, 'initial_state')");
    auto* ins_link = prepare(
        "INSERT INTO processes_subscriptions (id, pid, subscription_id, created_at, workflow_target) "
        "VALUES (?1, ?2, ?3, ?4, 'TERMINATE') ON CONFLICT (pid, subscription_id) DO NOTHING");
    auto* ins_step = prepare(
        "INSERT INTO process_steps (stepid, pid, name, step_key, status, state, created_by, started_at, "
        "completed_at) VALUES (?1, ?2, ?3, ?3, ?4, ?5, 'wfrun', ?6, ?7)");
    auto* upd_proc = prepare(
        "UPDATE processes SET workflow_target = 'TERMINATE', last_status = ?2, last_step = ?3, "
        "last_modified_at = ?4, failed_reason = NULL, traceback = NULL, created_by = 'wfrun', "
        "assignee = 'SYSTEM', is_task = 0, definition = 'definition', owner = ?5, heartbeat_at = ?4 "
        "WHERE pid = ?1");
    auto* upd_insync = prepare("UPDATE subscriptions SET insync = ?2 WHERE subscription_id = ?1");
    auto* upd_status = prepare(
        "UPDATE subscriptions SET status = 'terminated', end_date = ?2 WHERE subscription_id = ?1");
    auto* del_group = prepare("DELETE FROM provisioned_groups WHERE subscription_id = ?1");
    auto run = [&](sqlite3_stmt* st) {
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db));
    };
    auto text = [](sqlite3_stmt* st, int i, const std::string& v) {
        sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    };
    const char* names[] = {"Start", "Create Process Subscription relation", "Lock subscription",
                           "Deprovision user group", "Set subscription to 'terminated'", "Unlock subscription", "Done"};
    std::vector<std::string> states;
    for (int step = 0; step < 7; ++step)
        states.emplace_back(step < static_cast<int>(like.state_bytes.size()) ? like.state_bytes[step] : 1000, 'x');
    const std::string initial(like.initial_bytes, 'x');
    auto t0 = clock_type::now();
    for (const auto& sub : subs) {
        auto pid = new_uuid();
        auto now = now_iso();
        run(begin);
        text(ins_proc, 1, pid), text(ins_proc, 2, now), run(ins_proc);
        text(ins_input, 1, new_uuid()), text(ins_input, 2, pid), text(ins_input, 3, initial), text(ins_input, 4, now);
        run(ins_input);
        text(ins_link, 1, new_uuid()), text(ins_link, 2, pid), text(ins_link, 3, sub), text(ins_link, 4, now);
        run(ins_link);
        run(commit);
        for (int step = 0; step < 7; ++step) {
            auto started = now_iso();
            run(begin);
            if (step == 1)
                text(ins_link, 1, new_uuid()), text(ins_link, 2, pid), text(ins_link, 3, sub),
                    text(ins_link, 4, started), run(ins_link);
            if (step == 2 || step == 5)
                text(upd_insync, 1, sub), sqlite3_bind_int(upd_insync, 2, step == 5), run(upd_insync);
            if (step == 3) text(del_group, 1, sub), run(del_group);
            if (step == 4) text(upd_status, 1, sub), text(upd_status, 2, started), run(upd_status);
            auto completed = now_iso();
            text(ins_step, 1, new_uuid()), text(ins_step, 2, pid), text(ins_step, 3, names[step]);
            text(ins_step, 4, step == 6 ? "complete" : "success"), text(ins_step, 5, states[step]);
            text(ins_step, 6, started), text(ins_step, 7, completed), run(ins_step);
            text(upd_proc, 1, pid), text(upd_proc, 2, step == 6 ? "completed" : "running");
            text(upd_proc, 3, names[step]), text(upd_proc, 4, completed);
            if (step == 6) sqlite3_bind_null(upd_proc, 5);
            else text(upd_proc, 5, "host:1");
            run(upd_proc);
            run(commit);
        }
    }
    double secs = seconds_since(t0);
    for (auto* st : {begin, commit, ins_proc, ins_input, ins_link, ins_step, upd_proc, upd_insync, upd_status, del_group})
        sqlite3_finalize(st);
    sqlite3_close(db);
    figure f;
    f.executions_per_s = static_cast<double>(subs.size()) / secs;
    f.steps_per_s = f.executions_per_s * 7;
    return f;
}

long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

// Runs `n` create_user_group processes one after another and returns the peak RSS in KiB.
long rss_run(std::size_t n, const std::string& dir) {
    setup s(dir + "/rss.db", false);
    for (std::size_t i = 0; i < n; ++i) s.create_group(i);
    return peak_rss_kb();
}

// Peak RSS of a fresh process running `n` processes: starts this program again with --rss.
long rss_child(const std::string& self, std::size_t n, const std::string& dir) {
    auto out = dir + "/rss.txt";
    auto cmd = fmt::format("'{}' --rss {} --dir '{}' > '{}'", self, n, dir, out);
    if (std::system(cmd.c_str()) != 0) return -1;
    std::ifstream in(out);
    long kb = -1;
    in >> kb;
    return kb;
}

std::map<std::string, double> read_peers(const std::string& path) {
    std::map<std::string, double> out;  // peer -> executions_per_s
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string w, peer;
        double eps = 0;
        while (words >> w) {
            if (w.rfind("peer=", 0) == 0) peer = w.substr(5);
            if (w.rfind("executions_per_s=", 0) == 0) eps = std::stod(w.substr(17));
        }
        if (!peer.empty() && eps > 0) out[peer] = eps;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 2000;
    std::string peers_file;
    std::size_t rss = 0;
    std::size_t rss_large = 100000;
    std::string dir;
    std::string only;  // profiling: run one figure (durable, memory, full) and print it
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--n") n = std::stoul(argv[i + 1]);
        else if (a == "--peers") peers_file = argv[i + 1];
        else if (a == "--rss") rss = std::stoul(argv[i + 1]);
        else if (a == "--dir") dir = argv[i + 1];
        else if (a == "--rss-large") rss_large = std::stoul(argv[i + 1]);
        else if (a == "--only") only = argv[i + 1];
    }
    if (dir.empty()) {
        std::string tmpl = (fs::temp_directory_path() / "wfrun-bench-XXXXXX").string();
        dir = mkdtemp(tmpl.data());
    }
    if (rss) {
        std::cout << rss_run(rss, dir) << '\n';
        return 0;
    }

    auto fresh = [&](const std::string& name) {
        auto p = dir + "/" + name;
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p + suffix);
        return p;
    };
    std::size_t full_n = std::max<std::size_t>(n / 4, 100);  // FULL is slow where a sync is
    if (!only.empty()) {  // one figure, for profiling
        figure f;
        if (only == "memory") f = durable(":memory:", false, n);
        else if (only == "floor") f = floor_loop(fresh("floor.db"), false, n, durable(fresh("like.db"), false, 10));
        else if (only == "group") f = durable(fresh("group.db"), true, n, 64);
        else f = durable(fresh(only + ".db"), only == "full", n);
        std::cout << fmt::format("{} {:.0f} executions/s\n", only, f.executions_per_s);
        fs::remove_all(dir);
        return 0;
    }
    std::cerr << fmt::format("terminate_user_group x {} ...\n", n);
    auto normal = durable(fresh("durable.db"), false, n);
    auto floor = floor_loop(fresh("floor.db"), false, n, normal);
    auto memory = durable(":memory:", false, n);
    auto full = durable(fresh("full.db"), true, full_n);
    auto full_group = durable(fresh("full-group.db"), true, n, 64);
    auto normal_group = durable(fresh("normal-group.db"), false, n, 64);
    std::cerr << "peak memory for 1,000 and 100,000 processes ...\n";
    auto self = fs::read_symlink("/proc/self/exe").string();
    long rss_1k = rss_child(self, 1000, dir);
    long rss_100k = rss_child(self, rss_large, dir);

    json out = {{"executions", n},
                {"durable_executions_per_s", normal.executions_per_s},
                {"durable_steps_per_s", normal.steps_per_s},
                {"floor_executions_per_s", floor.executions_per_s},
                {"floor_steps_per_s", floor.steps_per_s},
                {"durable_over_floor", normal.executions_per_s / floor.executions_per_s},
                {"memory_executions_per_s", memory.executions_per_s},
                {"full_executions_per_s", full.executions_per_s},
                {"full_group_commit_executions_per_s", full_group.executions_per_s},
                {"full_group_over_full", full_group.executions_per_s / full.executions_per_s},
                {"normal_group_commit_executions_per_s", normal_group.executions_per_s},
                {"group_size", 64},
                {"state_bytes", normal.state_bytes},
                {"peak_rss_kb_1000", rss_1k},
                {"peak_rss_large_processes", rss_large}, {"peak_rss_kb_large", rss_100k},
                {"rss_large_over_1000", rss_1k > 0 ? static_cast<double>(rss_100k) / rss_1k : 0.0}};
    if (!peers_file.empty()) {
        auto peers = read_peers(peers_file);
        if (peers.count("aws-local-stepfunctions"))
            out["memory_over_aws_local_stepfunctions"] = memory.executions_per_s / peers["aws-local-stepfunctions"];
        if (peers.count("bpmn-engine")) {
            out["durable_over_bpmn_engine"] = normal.executions_per_s / peers["bpmn-engine"];
            out["group_commit_over_bpmn_engine"] = normal_group.executions_per_s / peers["bpmn-engine"];
        }
        for (const auto& [peer, eps] : peers) out["peer_" + peer + "_executions_per_s"] = eps;
    }

    std::cout << fmt::format("{:<44} {:>14} {:>12}\n", "figure", "executions/s", "steps/s");
    auto row = [](const char* name, const figure& f) {
        std::cout << fmt::format("{:<44} {:>14.0f} {:>12.0f}\n", name, f.executions_per_s, f.steps_per_s);
    };
    row("durable (WAL, synchronous=NORMAL)", normal);
    row("floor: bare prepared statements", floor);
    row("in-memory store", memory);
    row("durable (WAL, synchronous=FULL)", full);
    row("FULL with group commit (64 processes)", full_group);
    row("NORMAL with group commit (64 processes)", normal_group);
    std::cout << fmt::format("{:<44} {:>14.2f}\n", "durable / floor", out["durable_over_floor"].get<double>());
    std::cout << fmt::format("{:<44} {:>14.2f}\n", "FULL group commit / FULL", out["full_group_over_full"].get<double>());
    if (out.contains("memory_over_aws_local_stepfunctions"))
        std::cout << fmt::format("{:<44} {:>14.2f}\n", "in-memory / aws-local-stepfunctions",
                                 out["memory_over_aws_local_stepfunctions"].get<double>());
    if (out.contains("durable_over_bpmn_engine")) {
        std::cout << fmt::format("{:<44} {:>14.2f}\n", "durable / bpmn-engine", out["durable_over_bpmn_engine"].get<double>());
        std::cout << fmt::format("{:<44} {:>14.2f}\n", "NORMAL group commit / bpmn-engine",
                                 out["group_commit_over_bpmn_engine"].get<double>());
    }
    std::cout << fmt::format("{:<44} {:>11} KiB\n", "peak RSS, 1,000 processes", rss_1k);
    std::cout << fmt::format("{:<44} {:>11} KiB\n", "peak RSS, large run", rss_100k);
    std::cout << out.dump() << '\n';
    fs::remove_all(dir);
    return 0;
}
